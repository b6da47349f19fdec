package org.stowage.cli;

import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.compose.MigrationReport;
import org.stowage.compose.StorageSync;
import org.stowage.compose.SyncOptions;
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
final class MigrateCommand extends TransferCommand<MigrationReport> {
  @Override
  MigrationReport transfer(ExternalStorage source, ExternalStorage target, SyncOptions options) {
    return StorageSync.migrate(prefix, source, target, options);
  }

  @Override
  int print(MigrationReport report) {
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

  @Override
  int plan(ExternalStorage source, ExternalStorage target) {
    return eachListed(source, location -> {
      Metadata mine = metadataOrNull(source, location);
      Metadata theirs = metadataOrNull(target, location);
      if (mine == null) {
        return ExitCode.OK;
      }
      if (theirs == null) {
        planned("move", location);
      } else if (theirs.equals(mine)) {
        planned("delete", location);
      } else {
        planned("conflict", location);
        return ExitCode.REFUSED;
      }
      return ExitCode.OK;
    });
  }
}
