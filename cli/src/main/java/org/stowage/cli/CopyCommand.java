package org.stowage.cli;

import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "cp",
    description = {
      "Copy an object, within a store (SRC_URI and DST_URI the same string: a server-side copy"
          + " where the backend has one) or between stores (streamed, and verified against the"
          + " source's MD5: a damaged source stores nothing and exits with 1).",
      "Output: \"MD5 SIZE DST_LOCATION\", or a JSON object with --json."
    })
class CopyCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "SRC_URI", description = "The source store.")
  String sourceStore;

  @Parameters(index = "1", paramLabel = "SRC_LOCATION", description = "The object.")
  String from;

  @Parameters(index = "2", paramLabel = "DST_URI", description = "The target store; may be SRC_URI.")
  String targetStore;

  @Parameters(index = "3", paramLabel = "DST_LOCATION", description = "Where to put it.")
  String to;

  @Mixin PolicyOption write;

  @Option(names = "--json", description = "One JSON object.")
  boolean json;

  /** Whether the source is deleted once the copy is in place. */
  boolean removesSource() {
    return false;
  }

  @Override
  public Integer call() {
    Metadata result;
    if (sourceStore.equals(targetStore)) {
      try (ExternalStorage storage = open(sourceStore)) {
        result = removesSource() ? storage.move(from, to, write.policy) : storage.copy(from, to, write.policy);
      }
    } else {
      try (ExternalStorage source = open(sourceStore);
          ExternalStorage target = open(targetStore)) {
        result = source.copyTo(from, target, to, write.policy);
        if (removesSource()) {
          removeSourceIfCopied(source, target, result);
        }
      }
    }
    out().println(Lines.object(to, result, json));
    return ExitCode.OK;
  }

  /**
   * The source is deleted only if the target now holds its content, and the source still holds
   * what was copied; otherwise both are kept (a policy that kept other content at the target, a
   * source written meanwhile).
   */
  private void removeSourceIfCopied(ExternalStorage source, ExternalStorage target, Metadata copied) {
    Metadata now = source.getMetadata(from);
    if (!now.equals(copied)) {
      if (write.policy == WritePolicy.SKIP_IF_EXISTS) {
        return; // the target kept its own object; so does the source
      }
      throw new ChangedExternalResourceException(
          "mv: " + source + ": \"" + from + "\" changed while it was copied (now " + now + ", copied "
              + copied + "); kept at both " + source + " and " + target, from);
    }
    source.delete(from);
  }
}
