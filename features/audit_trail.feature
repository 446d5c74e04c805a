Feature: What the pipeline does is recorded in an audit trail that cannot be changed unnoticed
  Reviewing a pipeline after the fact needs a record of every call it made, allowed or refused, under the identity
  that made it. The records must reach the trail's bucket, the pipeline's own roles must not be able to remove
  them, a log file changed or removed after delivery, even by an administrator of the account, must be detected
  (or, stronger, refused by a policy), and every request on the trail's bucket, allowed or refused, must be kept
  in that bucket's own access log.

  @audit-trail @nist-800-53:AU-9 @nist-800-53:AU-10 @cis-aws:3.2 @soc2:CC7.2
  Scenario: A log file changed after delivery is detected by log file validation
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When an administrator of the account rewrites the newest log file of the trail
    Then log file validation reports that log file modified

  @audit-trail @nist-800-53:AU-9 @nist-800-53:AU-10 @cis-aws:3.2
  Scenario: A log file deleted after delivery is reported by log file validation
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When an administrator of the account deletes the newest log file of the trail
    Then log file validation reports that log file deleted

  @audit-trail @nist-800-53:AU-2 @nist-800-53:AU-3 @nist-800-53:AU-12 @cis-aws:3.1 @soc2:CC7.2
  Scenario: A call made by the pipeline reaches the trail under the pipeline role's session
    Given the pipeline under test is deployed
    When the pipeline role starts a build of its own project
    Then the trail holds a record of StartBuild by the pipeline role's session

  @audit-trail @nist-800-53:AU-2 @nist-800-53:AU-3 @nist-800-53:AU-12 @soc2:CC7.2
  Scenario: A call refused to the build role reaches the trail with the refusal
    Given the pipeline under test is deployed
    When the build role tries to create an IAM user
    Then the trail holds a record of CreateUser by the build role's session refused with AccessDenied

  @audit-trail @nist-800-53:AU-9 @soc2:CC6.1
  Scenario: The build role cannot delete the trail's log files
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When the build role tries to delete the newest log file of the trail
    Then the call is denied
    And every log file of the trail still validates

  @audit-trail @nist-800-53:AU-2 @nist-800-53:AU-9 @cis-aws:3.6 @soc2:CC7.2
  Scenario: An attempt on the trail's log files is recorded in the trail bucket's access log
    Given the pipeline under test is deployed
    And the trail has delivered the pipeline's activity
    When the build role tries to delete the newest log file of the trail
    Then the trail bucket's access log records that attempt by the build role
