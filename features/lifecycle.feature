Feature: The pipeline is deployed as declared, stays as declared, and leaves nothing behind
  A pipeline that cannot be deployed and removed reproducibly cannot be reviewed: what runs must be what the
  definition says, a change made outside the definition must be visible, and removing the pipeline must not leave
  roles or buckets behind.

  @lifecycle @nist-800-53:CM-2 @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: The pipeline deploys exactly as declared
    When the pipeline under test is deployed
    Then a second plan shows no changes

  @lifecycle @nist-800-53:CM-3 @nist-800-53:CM-6 @soc2:CC7.1
  Scenario: A change to the build role's permissions made outside the definition is detected
    Given the pipeline under test is deployed
    When someone grants the build role administrator access directly
    Then the next plan reports drift in the build role's inline policies

  @lifecycle @nist-800-53:CM-3 @nist-800-53:SA-10 @soc2:CC8.1
  Scenario: Removing the pipeline leaves nothing behind
    Given the pipeline under test is deployed
    When the pipeline is destroyed
    Then no resource of the pipeline remains

  @lifecycle @self-test @nist-800-53:CM-6 @soc2:CC8.1
  Scenario: A definition that refers to a role it does not declare is refused with the fix
    When the definition "broken-dangling-role" is loaded
    Then loading fails with "pipeline.yaml:11 (build_projects.build) field 'service_role': expected the name of a resource under 'roles', found 'builder', which is not declared; declare 'roles.builder' or use one of: pipeline"
