Feature: Production data stays out of reach of every other environment
  Preventing production data from being introduced into non-production environments is enforced by strict
  isolation between the pipelines and the data plane: network paths and identities. The network is decided from
  the security groups, network ACLs, routes and endpoints as deployed; every access to data is a real call made
  with the role's own session.

  @isolation @nist-800-53:SC-7 @nist-800-53:AC-4 @soc2:CC6.6
  Scenario: A development build cannot reach the production database on any port
    Given the pipeline under test is deployed
    Then no non-production build reaches the production data tier on any protocol or port

  @isolation @nist-800-53:SC-7 @nist-800-53:SC-7(5) @nist-800-53:CM-7 @soc2:CC6.6
  Scenario: The production build reaches AWS only through its VPC endpoints and nothing on the internet
    Given the pipeline under test is deployed
    Then each production build reaches AWS services only through its VPC endpoints

  @isolation @nist-800-53:AC-4 @nist-800-53:AC-3 @nist-800-53:AC-6 @soc2:CC6.1
  Scenario: A non-production role cannot read, copy or decrypt production data
    Given the pipeline under test is deployed
    When each non-production role tries to read, copy and decrypt production data
    Then every attempt is denied

  @isolation @nist-800-53:SC-7 @nist-800-53:CM-7 @soc2:CC6.6 @soc2:CC7.1
  Scenario: A data-tier rule opened to any address is detected as a path
    Given the pipeline under test is deployed
    Then no other workload of the production network reaches the production data tier
    When someone opens the production data tier to 0.0.0.0/0 on port 5432
    Then the opened rule is reported as a path to the production data tier
    And the next plan reports drift in the production data tier's ingress rules

  @isolation @nist-800-53:AC-4 @nist-800-53:SC-7 @soc2:CC6.1 @soc2:CC6.6
  Scenario: The production data bucket refuses access from outside its endpoint
    Given the pipeline under test is deployed
    When each production role reads production data from outside the production endpoint
    Then every attempt is denied
    And each production build may read production data through its VPC endpoint
