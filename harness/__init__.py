"""pipewarden: acceptance tests that prove a CI/CD pipeline on AWS is secure."""
