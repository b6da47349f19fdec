package org.stowage.cli;

import java.util.Objects;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.compose.StorageSync;
import org.stowage.compose.SyncOptions;
import org.stowage.compose.SyncReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "sync",
    description = {
      "Copy to DST_URI the objects under --prefix that it lacks or holds with other content"
          + " (compared by MD5 and size, never re-read when equal), streamed and verified. Run it"
          + " again to resume. With --delete, objects DST_URI has and SRC_URI lacks are deleted"
          + " from DST_URI.",
      "Output: failures one line each, then a summary; --dry-run prints \"copy LOCATION\" and"
          + " \"delete LOCATION\" lines instead. Exit 1 if an object was damaged, 3 if a store"
          + " failed."
    })
final class SyncCommand extends TransferCommand<SyncReport> {
  @Option(names = "--delete", description = "Delete from DST_URI what SRC_URI lacks (under --prefix).")
  boolean delete;

  @Override
  SyncReport transfer(ExternalStorage source, ExternalStorage target, SyncOptions options) {
    return StorageSync.sync(
        source,
        target,
        delete ? StorageSync.Direction.MIRROR : StorageSync.Direction.SOURCE_TO_TARGET,
        options);
  }

  @Override
  int print(SyncReport report) {
    int exit = problems(report.conflicts(), report.errors());
    if (json) {
      out().println(Json.object("copied", report.copiedToTarget(), "bytes", report.bytes(), "skipped",
          report.skipped(), "deleted", report.deletedFromTarget(), "failed", report.errors().size()));
    } else {
      out().println("copied " + report.copiedToTarget() + " objects (" + report.bytes() + " bytes), skipped "
          + report.skipped() + ", deleted " + report.deletedFromTarget() + ", failed " + report.errors().size());
    }
    return exit;
  }

  /** What a sync would do, by metadata, changing nothing. */
  @Override
  int plan(ExternalStorage source, ExternalStorage target) {
    int exit = eachListed(source, location -> {
      Metadata mine = metadataOrNull(source, location);
      if (mine != null && !Objects.equals(mine, metadataOrNull(target, location))) {
        planned("copy", location);
      }
      return ExitCode.OK;
    });
    if (delete) {
      exit = Failures.worse(exit, eachListed(target, location -> {
        if (!source.exists(location)) {
          planned("delete", location);
        }
        return ExitCode.OK;
      }));
    }
    return exit;
  }
}
