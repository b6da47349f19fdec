package org.stowage.cli;

import java.util.Iterator;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "ls",
    description = {
      "List the locations under PREFIX (a plain string prefix; all if omitted), sorted by UTF-8"
          + " bytes.",
      "Output: one location a line; with --long, \"MD5 SIZE LOCATION\"; with --json,"
          + " {\"location\",\"size\",\"md5\"} objects, one a line."
    })
final class ListCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", description = "Only locations that start with it.")
  String prefix = "";

  @Option(names = {"-l", "--long"}, description = "Add each object's size and MD5 (its recorded metadata; nothing is read).")
  boolean longFormat;

  @Option(names = "--json", description = "JSON lines.")
  boolean json;

  @Override
  public Integer call() {
    int exit = ExitCode.OK;
    try (ExternalStorage storage = open(store);
        Stream<String> listing = storage.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      while (locations.hasNext()) {
        String location = locations.next();
        if (!longFormat && !json) {
          out().println(location);
          continue;
        }
        Metadata m = null;
        if (longFormat) {
          try {
            m = metadataOrNull(storage, location);
          } catch (RuntimeException e) {
            exit = Failures.worse(exit, reportAndContinue(e));
            continue;
          }
          if (m == null) {
            continue; // deleted since it was listed
          }
        }
        out().println(Lines.object(location, m, json));
      }
    }
    return exit;
  }
}
