package org.stowage.cli;

import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "stat",
    description = {
      "Show an object's recorded size and MD5, and where it lives, without reading it.",
      "Output: \"location: ...\", \"size: ...\", \"md5: ...\", \"uri: ...\" lines, or one JSON"
          + " object with --json. A missing object exits with 1."
    })
final class StatCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", paramLabel = "LOCATION", description = "The object.")
  String location;

  @Option(names = "--json", description = "One JSON object.")
  boolean json;

  @Override
  public Integer call() {
    try (ExternalStorage storage = open(store)) {
      Metadata m = storage.getMetadata(location);
      String uri = storage.uri(location).toString();
      if (json) {
        out().println(Json.object("location", location, "size", m.size(), "md5", m.md5(), "uri", uri));
      } else {
        out().println("location: " + location);
        out().println("size: " + m.size());
        out().println("md5: " + m.md5());
        out().println("uri: " + uri);
      }
    }
    return ExitCode.OK;
  }
}
