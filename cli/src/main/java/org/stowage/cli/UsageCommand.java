package org.stowage.cli;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "du",
    description = {
      "Count the objects and bytes under PREFIX, per first-level prefix after it (up to and"
          + " including the next /), from the recorded metadata: nothing is read.",
      "Output: \"OBJECTS BYTES GROUP\" lines in UTF-8 order, then \"OBJECTS BYTES total\"; with"
          + " --json, {\"prefix\",\"objects\",\"bytes\"} objects, the total last with no prefix."
    })
final class UsageCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", description = "Only locations that start with it.")
  String prefix = "";

  @Option(names = "--json", description = "JSON lines.")
  boolean json;

  @Override
  public Integer call() {
    // Groups are keyed by their UTF-8 bytes' order, as listings are (rule I2).
    Map<String, long[]> groups = new TreeMap<>(UsageCommand::compareUtf8);
    long[] total = new long[2];
    try (ExternalStorage storage = open(store);
        Stream<String> listing = storage.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      while (locations.hasNext()) {
        String location = locations.next();
        Metadata m = metadataOrNull(storage, location);
        if (m == null) {
          continue; // deleted since it was listed
        }
        int slash = location.indexOf('/', prefix.length());
        long[] group = groups.computeIfAbsent(slash < 0 ? location : location.substring(0, slash + 1), g -> new long[2]);
        group[0]++;
        group[1] += m.size();
        total[0]++;
        total[1] += m.size();
      }
    }
    groups.forEach((group, counts) -> out().println(line(group, counts)));
    out().println(line(null, total));
    return ExitCode.OK;
  }

  private String line(String group, long[] counts) {
    return json
        ? Json.object("prefix", group, "objects", counts[0], "bytes", counts[1])
        : counts[0] + " " + counts[1] + " " + (group == null ? "total" : group);
  }

  private static int compareUtf8(String a, String b) {
    return java.util.Arrays.compareUnsigned(
        a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
