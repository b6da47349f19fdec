package org.stowage.cli;

import java.util.List;
import org.stowage.ExternalStorage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "rm",
    description = {
      "Delete objects. Each is tried, in order; a missing one is an error (exit 1) unless"
          + " --if-exists is given.",
      "Output: nothing; failures one line each on stderr."
    })
final class RemoveCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "LOCATION", description = "The objects.")
  List<String> locations;

  @Option(names = "--if-exists", description = "A missing object is not an error.")
  boolean ifExists;

  @Override
  public Integer call() {
    int exit = ExitCode.OK;
    try (ExternalStorage storage = open(store)) {
      for (String location : locations) {
        try {
          if (ifExists) {
            storage.deleteIfExists(location);
          } else {
            storage.delete(location);
          }
        } catch (RuntimeException e) {
          exit = Failures.worse(exit, reportAndContinue(e));
        }
      }
    }
    return exit;
  }
}
