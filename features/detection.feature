Feature: Unusual behaviour of the pipeline is detected and the security team is told
  Guard rails that are configured but never fire protect no one. These scenarios drive real behaviour through the
  deployed detection chain: the pipeline's own calls are recorded by the audit trail, delivered to its log group,
  matched by the deployed metric filters, counted by the deployed alarms, and notified through the deployed topic.

  @detection @cis-aws:4.1 @nist-800-53:SI-4 @nist-800-53:AU-6 @soc2:CC7.2
  Scenario: A burst of denied calls by a pipeline role raises an alarm and notifies the security team
    Given the pipeline under test is deployed
    When the build role makes 5 calls it is not allowed to make
    And the audit trail delivers its logs
    Then an alarm on unauthorized calls goes off
    And the security team is notified of it

  @detection @cis-aws:4.1 @nist-800-53:SI-4 @soc2:CC7.2
  Scenario: A single denied call stays below the alarm threshold
    Given the pipeline under test is deployed
    When the build role makes 1 call it is not allowed to make
    And the audit trail delivers its logs
    Then no alarm on unauthorized calls goes off

  @detection @cis-aws:4.4 @nist-800-53:SI-4 @nist-800-53:CM-3 @soc2:CC7.2
  Scenario: A change to the build role's permissions is detected
    Given the pipeline under test is deployed
    When someone changes the build role's permissions through the API
    And the audit trail delivers its logs
    Then an alarm on IAM policy changes goes off
    And the security team is notified of it

  @detection @nist-800-53:SI-4 @nist-800-53:CM-3 @soc2:CC7.2
  Scenario: A change to the pipeline definition is detected
    Given the pipeline under test is deployed
    When someone changes the pipeline definition through the API
    And the audit trail delivers its logs
    Then an alarm on pipeline changes goes off

  @detection @cis-aws:4.5 @nist-800-53:AU-9 @nist-800-53:SI-4 @soc2:CC7.2
  Scenario: Stopping the audit trail is detected
    Given the pipeline under test is deployed
    When someone stops the audit trail through the API
    And the audit trail delivers its logs
    Then an alarm on trail changes goes off
    And the security team is notified of it

  @detection @nist-800-53:SI-4 @nist-800-53:AU-6 @soc2:CC7.2
  Scenario: Every metric filter on the audit log matches the events it watches for
    Given the pipeline under test is deployed
    When the build role makes 5 calls it is not allowed to make
    And someone changes the build role's permissions through the API
    And someone changes the pipeline definition through the API
    And the audit trail delivers its logs
    Then every metric filter on the audit log has matched at least one event

  @detection @nist-800-53:SI-4 @nist-800-53:AU-6 @soc2:CC7.2
  Scenario: An unusual number of builds in a short time raises an alarm
    Given the pipeline under test is deployed
    When the pipeline's build runs 12 times within 5 minutes
    Then an alarm on build volume goes off
    And the security team is notified of it

  @detection @nist-800-53:SI-4 @nist-800-53:SA-11 @soc2:CC7.2
  Scenario: Repeated build timeouts raise an alarm
    Given the pipeline under test is deployed
    When 3 builds of the pipeline hang until their timeout
    Then an alarm on build timeouts goes off
    And the security team is notified of it
