package org.stowage.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "put",
    description = {
      "Store a file (or stdin, with -) at LOCATION, atomically: the old object or the whole new"
          + " one, never a part.",
      "Output: \"MD5 SIZE LOCATION\" of the stored object (of the present one when the policy"
          + " kept it), or a JSON object with --json. A refusal by the policy exits with 1."
    })
final class PutCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", paramLabel = "LOCATION", description = "Where to store it.")
  String location;

  @Parameters(index = "2", paramLabel = "FILE|-", description = "The file to store; - for stdin.")
  String file;

  @Mixin PolicyOption write;

  @Option(names = "--json", description = "One JSON object.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Metadata stored;
    try (ExternalStorage storage = open(store)) {
      if (file.equals("-")) {
        stored = storage.storeStream(location, System.in, write.policy);
      } else {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
          throw new Failures.UsageException("no file at " + path.toAbsolutePath());
        }
        long size = Files.size(path);
        if (size >= Transfers.BAR_THRESHOLD && progressAllowed(json)) {
          // The same bytes and the same outcome as storePath, counted as they are read.
          try (Progress progress = Progress.start("put", size, true, true);
              InputStream in = Transfers.counted(Files.newInputStream(path), progress)) {
            stored = storage.storeStream(location, in, write.policy);
          }
        } else {
          stored = storage.storePath(location, path, write.policy);
        }
      }
    }
    out().println(Lines.object(location, stored, json));
    return ExitCode.OK;
  }
}
