"""Which S3 keys a dataset names, by S3's own rules: the one definition both stores follow.

- An object falls under a prefix when its key starts with it, as S3 matches prefixes: an input with
  `S3DataType=S3Prefix` and `S3Uri` `.../x/y` reads `x/y/...` and also `x/yz/...` (SageMaker API
  reference, S3DataSource).
- A job's S3 output (ProcessingOutput `S3Output.S3Uri`, TransformOutput `S3OutputPath`, Bedrock batch
  inference `s3OutputDataConfig.s3Uri`) is a folder: the service writes `<S3Uri>/<file>`, so an output
  `a/b` writes `a/b/...` and never `a/bc/...`.
- An output feeds an input when the keys it writes can be keys the input reads: the output's folder
  lies under the input's prefix (`a/` reads output `a/b/`) or the input's prefix lies in the folder
  (`a/b/c/` in output `a/b/`). A manifest input (`ManifestFile`, `AugmentedManifestFile`) reads only
  the keys its manifest lists, which the logs never show: it is fed `unknown`, never yes or no.

Neo4j's twin of `feeds` is the `FEEDS` statement in graphgov.stores.schema_cypher; the stores keep the
FEEDS edges (writing job -> each dataset its outputs feed) with it, like IN_DATASET.
"""

from __future__ import annotations

PREFIX_TYPE = "S3Prefix"
# Jobs whose S3 outputs are datasets (WRITES): processing, batch transform, Bedrock batch inference.
WRITER_JOBS = ("ProcessingJob", "TransformJob", "BatchInferenceJob")


def falls_under(key: str, prefix: str) -> bool:
    """True when S3 lists the key under the prefix (plain string prefix, no folder semantics)."""
    return key.startswith(prefix)


def output_folder(prefix: str) -> str:
    """The key prefix of what a job writes to output `prefix`: the folder `prefix/` (the bucket root stays '')."""
    return prefix if prefix == "" or prefix.endswith("/") else prefix + "/"


def feeds(output_prefix: str, input_prefix: str, input_data_type: str | None) -> str | None:
    """How an output (same bucket) feeds an input: 'prefix' when their keys overlap, 'unknown' for a
    manifest input (its keys are listed in an object not read), None when no key can be shared."""
    if (input_data_type or PREFIX_TYPE) != PREFIX_TYPE:
        return "unknown"
    folder = output_folder(output_prefix)
    if falls_under(folder, input_prefix) or falls_under(input_prefix, folder) or input_prefix == output_prefix:
        return "prefix"
    return None
