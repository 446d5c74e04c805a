Feature: Every build leaves a log that shows what it did, keeps secrets out, and stays with its own pipeline
  A build runs the repository's code with the build role's credentials. Its log is the record of what ran: it must
  land where the pipeline's owners look for it, under names that tie it to the build, readable by this pipeline and
  not by others. Secrets the build receives must never appear in that log, and a build that hangs must be ended by
  its timeout, visibly. Each claim is checked by running a real build and reading its log back.

  @build-logs @nist-800-53:AU-2 @nist-800-53:AU-3 @nist-800-53:AU-12 @soc2:CC7.2
  Scenario: A build's output is logged to the configured log group under the build's own stream
    Given the pipeline under test is deployed
    When the pipeline's build runs
    Then its output is in the configured log group under the build's stream name

  @build-logs @nist-800-53:AU-9 @nist-800-53:AC-3 @soc2:CC6.1 @soc2:CC7.2
  Scenario: Another pipeline's roles cannot read this pipeline's build logs
    Given the pipeline under test is deployed
    And the pipeline's build has run
    When another pipeline's build role tries to read the build's log
    Then the read is denied

  @build-logs @nist-800-53:IA-5(7) @nist-800-53:SC-28 @nist-800-53:SA-11 @soc2:CC6.1
  Scenario: Secrets given to a build are masked in its log
    Given the pipeline under test is deployed
    When the build prints the secrets it was given
    Then every secret shows as *** in the build log

  @build-logs @nist-800-53:IA-5(7) @nist-800-53:SC-28 @soc2:CC6.1
  Scenario: No build keeps a secret in a plain environment variable
    Given the pipeline under test is deployed
    When the build projects are read back
    Then no plaintext environment variable holds a secret

  @build-logs @nist-800-53:AU-12 @nist-800-53:SC-6 @soc2:CC7.2
  Scenario: A hanging build is ended by its timeout, and the timeout is on record
    Given the pipeline under test is deployed
    When a build of the pipeline hangs for more than 60 minutes
    Then the build times out, and the build record and the build log both show it
