Feature: What the pipeline does is recorded in an audit trail that cannot be changed unnoticed
  Reviewing a pipeline after the fact needs a record of every call it made, allowed or refused, under the identity
  that made it. The records must reach the trail's bucket, the pipeline's own roles must not be able to remove
  them, and a log file changed or removed after delivery must be detected.

  @audit-trail @nist-800-53:AU-9 @nist-800-53:AU-10 @cis-aws:3.2 @soc2:CC7.2
  Scenario: A log file changed after delivery is detected by log file validation
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When someone rewrites the newest log file of the trail
    Then log file validation reports that log file modified

  @audit-trail @nist-800-53:AU-9 @nist-800-53:AU-10 @cis-aws:3.2
  Scenario: A log file deleted after delivery is reported by log file validation
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When someone deletes the newest log file of the trail
    Then log file validation reports that log file deleted
