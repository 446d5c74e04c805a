"""Benchmark: one minimal pipeline execution with one build, through the harness, end to end.

A pipeline of three stages (S3 source, one CodeBuild build of two shell commands in the sandbox, S3 deploy) is
deployed once on the in-process moto backend with IAM enforcement on; each round uploads a source archive and runs
one execution to completion: the pipeline role's session, artifact zips written and read through the artifact
bucket, the build role's session, log stream and events, the sandboxed build, the deployment. Prints the median
(and spread) of N rounds. The sandbox start (a new network namespace and a Python child) is part of the figure.

    python bench/runtime.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.acceptance import Deployment  # noqa: E402
from harness.backends import make_backend  # noqa: E402
from harness.inputs.harness_yaml import parse_definition  # noqa: E402
from harness.runtime.pipeline import start_pipeline_execution  # noqa: E402

DEFINITION = """
pipewarden: 1
name: bench
resources:
  buckets:
    source: {}
    artifacts: {}
    site: {}
  log_groups:
    build: {retention_days: 7}
  roles:
    pipeline:
      assumed_by: codepipeline.amazonaws.com
      policies:
        pipeline:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: "s3:GetObject", Resource: "${buckets.source.arn}/*"}
            - {Effect: Allow, Action: ["s3:GetObject", "s3:PutObject"], Resource: "${buckets.artifacts.arn}/*"}
            - {Effect: Allow, Action: "s3:PutObject", Resource: "${buckets.site.arn}/*"}
            - {Effect: Allow, Action: "codebuild:StartBuild", Resource: "${build_projects.app.arn}"}
    build:
      assumed_by: codebuild.amazonaws.com
      policies:
        build:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*"}
            - {Effect: Allow, Action: ["s3:GetObject", "s3:PutObject"], Resource: "${buckets.artifacts.arn}/*"}
  build_projects:
    app:
      service_role: build
      timeout_minutes: 5
      buildspec:
        version: 0.2
        phases:
          build:
            commands: ["mkdir -p out", "echo built > out/index.html"]
        artifacts: {files: ["**/*"], base-directory: out}
      logs:
        cloudwatch: {group: build, stream_prefix: app}
  pipelines:
    release:
      role: pipeline
      artifact_store: {bucket: artifacts}
      stages:
        - name: Source
          actions:
            - name: Source
              category: Source
              provider: S3
              configuration: {S3Bucket: "${buckets.source.name}", S3ObjectKey: source.zip}
              output_artifacts: [src]
        - name: Build
          actions:
            - name: Build
              category: Build
              provider: CodeBuild
              configuration: {ProjectName: "${build_projects.app.name}"}
              input_artifacts: [src]
              output_artifacts: [built]
        - name: Deploy
          actions:
            - name: Deploy
              category: Deploy
              provider: S3
              configuration: {BucketName: "${buckets.site.name}", Extract: "true"}
              input_artifacts: [built]
"""


def source_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "bench\n")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    backend = make_backend("moto")
    backend.open()
    deployment = Deployment(backend)
    times: list[float] = []
    with deployment.observed():
        deployment.definition = parse_definition(DEFINITION, "bench.yaml")
        deployment.apply(check_idempotent=False)
        body = source_zip()
        try:
            for _ in range(args.rounds + 1):
                backend.client("s3").put_object(Bucket=f"{deployment.prefix}source", Key="source.zip", Body=body)
                start = time.perf_counter()
                execution = start_pipeline_execution(deployment, "release")
                elapsed = time.perf_counter() - start
                if execution.status != "Succeeded":
                    print(f"execution failed: {execution.failure()}", file=sys.stderr)
                    return 1
                times.append(elapsed)
        finally:
            deployment.teardown()
    backend.close()
    measured = times[1:]  # the first round builds clients and loads models
    print(f"minimal pipeline execution (S3 source, one sandboxed build, S3 deploy), {len(measured)} rounds:")
    print(f"  median {statistics.median(measured) * 1000:.0f} ms")
    print(f"  min {min(measured) * 1000:.0f} ms, max {max(measured) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
