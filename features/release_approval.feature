Feature: A release is deployed only with the approval of a release manager who did not start it
  The pipeline stops before deployment and asks for a person's approval. That control only means something if the
  right people answer it: only release managers may approve, nobody may approve a release they started, and a
  rejection must stop the release. Each claim is checked by starting a real release as a person and answering the
  approval with that person's own session.

  @source-protection @nist-800-53:AC-5 @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: Only release managers can approve a release
    Given the pipeline under test is deployed
    And a developer has started a release
    When another developer tries to approve the release
    Then the approval is refused
    When a release manager approves the release
    Then the release is deployed

  @source-protection @nist-800-53:AC-5 @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: Nobody can approve a release they started
    Given the pipeline under test is deployed
    When a developer starts a release and tries to approve it
    Then they cannot have both started and approved it
    When a release manager starts a release and tries to approve it
    Then they cannot have both started and approved it

  @source-protection @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: A rejected release is not deployed
    Given the pipeline under test is deployed
    And a developer has started a release
    When a release manager rejects the release
    Then the release stops before deployment
