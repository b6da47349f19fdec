package org.stowage.cli;

import java.io.IOException;
import org.stowage.ExternalStorage;
import org.stowage.StoredObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "cat",
    description = {
      "Write an object's bytes to stdout, verified against its recorded MD5 and size while they"
          + " stream.",
      "Damage exits with 1 and one line on stderr naming the object and rule R2. The bytes"
          + " stream as they are read, so those before the damage was found have already been"
          + " written: check the exit status (set -o pipefail), or use get, which writes a file"
          + " only once it is verified."
    })
final class CatCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", paramLabel = "LOCATION", description = "The object.")
  String location;

  @Override
  public Integer call() throws IOException {
    // One look at the object gives the bytes and the metadata they are verified against.
    try (ExternalStorage storage = open(store);
        StoredObject object = storage.loadObject(location)) {
      Transfers.toStdout(object.stream(), Progress.start("cat", -1, true, false));
    }
    return ExitCode.OK;
  }
}
