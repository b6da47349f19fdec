package org.stowage.cli;

import java.util.Iterator;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.compose.MigrationReport;
import org.stowage.compose.StorageSync;
import picocli.CommandLine.Command;

@Command(
    name = "migrate",
    description = {
      "Move every object under --prefix from SRC_URI to DST_URI: each is copied, verified on"
          + " DST_URI by re-reading it, and only then deleted from SRC_URI. An interruption loses"
          + " nothing; run it again to resume. An object DST_URI holds with other content is a"
          + " conflict, kept on both sides (exit 1).",
      "Output: conflicts and failures one line each, then a summary; --dry-run prints \"move"
          + " LOCATION\", \"delete LOCATION\" (already on DST_URI) and \"conflict LOCATION\" lines"
          + " instead."
    })
final class MigrateCommand extends TransferCommand {
  @Override
  public Integer call() {
    ExternalStorage[] stores = openBoth();
    try (ExternalStorage source = stores[0];
        ExternalStorage target = stores[1]) {
      if (dryRun) {
        return plan(source, target);
      }
      MigrationReport report;
      try (Progress progress = Progress.start("migrate", -1, false, progressAllowed(json))) {
        report = StorageSync.migrate(prefix, source, target, options(progress));
      }
      int exit = problems(report.conflicts(), report.errors());
      if (json) {
        out().println(Json.object("moved", report.moved(), "copied", report.copied(), "bytes", report.bytes(),
            "conflicts", report.conflicts().size(), "failed", report.errors().size()));
      } else {
        out().println("moved " + report.moved() + " objects (" + report.copied() + " copied, " + report.bytes()
            + " bytes), conflicts " + report.conflicts().size() + ", failed " + report.errors().size());
      }
      return exit;
    }
  }

  private int plan(ExternalStorage source, ExternalStorage target) {
    int exit = ExitCode.OK;
    try (Stream<String> listing = source.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      while (locations.hasNext()) {
        String location = locations.next();
        Metadata mine;
        Metadata theirs;
        try {
          mine = metadataOrNull(source, location);
          theirs = metadataOrNull(target, location);
        } catch (RuntimeException e) {
          exit = Failures.worse(exit, failed(location, e));
          continue;
        }
        if (mine == null) {
          continue;
        }
        if (theirs == null) {
          planned("move", location);
        } else if (theirs.equals(mine)) {
          planned("delete", location);
        } else {
          planned("conflict", location);
          exit = Failures.worse(exit, ExitCode.REFUSED);
        }
      }
    }
    return exit;
  }
}
