Feature: Only reviewed changes reach the branch the pipeline deploys from
  Who can change, commit and approve code decides what the pipeline deploys. Changes reach main, the branch the
  release pipeline deploys, only through a pull request that two reviewers other than its author approved: nobody
  pushes to main or deletes it, the pipeline's own roles cannot change the code they build, and overriding the
  review leaves a record in the audit trail.

  Background:
    Given the pipeline under test is deployed

  @source-protection @nist-800-53:CM-3 @nist-800-53:CM-5 @soc2:CC8.1
  Scenario: A developer cannot push directly to main but can push to a feature branch
    When a developer pushes a change to "main"
    Then IAM denies it
    When a developer pushes a change to "feature/login"
    Then it is allowed

  @source-protection @nist-800-53:CM-3 @nist-800-53:CM-5 @soc2:CC8.1
  Scenario: A change merges into main only after two approvals from the approver pool
    Given a developer has proposed a change from "feature/login" to "main"
    When an approver approves the change
    And an approver merges the change
    Then the merge is refused until the approval rules are satisfied
    When an approver approves the change
    And an approver merges the change
    Then it is allowed

  @source-protection @nist-800-53:AC-5 @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: The author of a change cannot approve it (separation of duties)
    Given a developer has proposed a change from "feature/login" to "main"
    When the author approves the change
    Then CodeCommit refuses the author's own approval
    And the change still needs approvals before it can merge

  @source-protection @nist-800-53:AC-6 @nist-800-53:CM-5 @soc2:CC8.1
  Scenario: The pipeline's own roles cannot push code
    When the build role pushes a change to "main"
    Then IAM denies it
    When the pipeline role pushes a change to "main"
    Then IAM denies it

  @source-protection @nist-800-53:AU-2 @nist-800-53:CM-3 @soc2:CC8.1
  Scenario: Overriding the approval rules is recorded in the audit trail
    Given a developer has proposed a change from "feature/login" to "main"
    When an approver merges the change
    Then the merge is refused until the approval rules are satisfied
    When an approver overrides the approval rules of the change
    Then the audit trail records the override by that approver
    When an approver merges the change
    Then it is allowed

  @source-protection @nist-800-53:CM-5 @soc2:CC8.1
  Scenario: Nobody working on the code can delete main
    When a developer deletes the branch "main"
    Then IAM denies it
