package org.stowage.cli;

import org.stowage.WritePolicy;
import picocli.CommandLine.Option;

/** {@code --policy overwrite|create|skip-if-exists|fail-if-different}, for put, cp and mv. */
final class PolicyOption {
  @Option(
      names = "--policy",
      paramLabel = "POLICY",
      converter = Transfers.PolicyConverter.class,
      completionCandidates = Transfers.PolicyNames.class,
      description = "overwrite (the default), create (refuse if an object is there),"
          + " skip-if-exists, or fail-if-different (refuse if one with other content is there).")
  WritePolicy policy = WritePolicy.OVERWRITE;
}
