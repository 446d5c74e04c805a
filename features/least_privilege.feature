Feature: The pipeline's roles can do what the pipeline needs and nothing more
  A build runs code from the repository with the build role's credentials, and the pipeline role drives every
  stage: whatever those roles may do, a compromised build or a malicious commit may do. Each claim below is checked
  by making the real call with the role's own session, as its service would, and observing AWS's answer.

  @least-privilege @nist-800-53:AC-6 @nist-800-53:AC-6(10) @cis-aws:1.16 @soc2:CC6.1 @soc2:CC6.3
  Scenario: The build role cannot create IAM users
    Given the pipeline under test is deployed
    When the build role tries to create an IAM user
    Then the call is denied

  @least-privilege @nist-800-53:AC-6 @nist-800-53:AC-6(10) @cis-aws:1.16 @soc2:CC6.1 @soc2:CC6.3
  Scenario: The build role cannot give itself administrator access
    Given the pipeline under test is deployed
    When the build role tries to attach the AdministratorAccess policy to its own role
    Then the call is denied

  @least-privilege @nist-800-53:AC-6 @nist-800-53:AC-6(10) @soc2:CC6.1 @soc2:CC6.3
  Scenario: The build role cannot pass roles other than its own
    Given the pipeline under test is deployed
    When the build role tries to pass another role of the pipeline to a new build project
    Then the call is denied

  @least-privilege @nist-800-53:AC-6 @nist-800-53:AC-3 @soc2:CC6.1
  Scenario: The build role cannot read another pipeline's artifacts
    Given the pipeline under test is deployed
    When the build role tries to read an artifact of another pipeline
    Then the call is denied

  @least-privilege @nist-800-53:AC-6 @nist-800-53:AC-3 @soc2:CC6.1
  Scenario: The pipeline role can start its own build but not another pipeline's
    Given the pipeline under test is deployed
    When the pipeline role starts a build of its own project
    Then the call is allowed
    When the pipeline role starts a build of another pipeline's project
    Then the call is denied
