package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;
import org.stowage.filesystem.FileStorage;

/**
 * The empty targets of the transfer benchmarks, renewed before each iteration: a new {@link
 * FileStorage} root and a new directory for the baselines' copies, each under the trial's
 * directory; the previous ones are deleted and the page cache is flushed ({@code sync}), so that
 * no iteration pays for the writeback of earlier ones.
 */
final class TransferTargets {
  private final Path dir;
  private Path storeRoot;
  private Path copies;
  private FileStorage storage;
  private int round;

  TransferTargets(Path dir) {
    this.dir = dir;
  }

  /** Deletes the previous targets and makes new, empty ones. */
  void renew() throws IOException {
    close();
    BenchData.deleteTree(storeRoot);
    BenchData.deleteTree(copies);
    round++;
    storeRoot = dir.resolve("store-" + round);
    storage = new FileStorage(storeRoot);
    copies = Files.createDirectories(dir.resolve("copies-" + round));
    BenchData.flushPageCache();
  }

  FileStorage storage() {
    return storage;
  }

  Path copies() {
    return copies;
  }

  void close() {
    if (storage != null) {
      storage.close();
    }
  }

  /**
   * Registers {@code names} with {@code manager}, transfers them and checks the report: every
   * file stored, with the MD5 of {@code md5s}; throws otherwise.
   */
  static TransferReport transferChecked(StorageManager manager, String[] names, String[] md5s) {
    for (String name : names) {
      manager.register(name);
    }
    return checked(manager.transfer(), names, md5s);
  }

  /** {@code report}, after checking that it stored every file of {@code names} with its MD5. */
  static TransferReport checked(TransferReport report, String[] names, String[] md5s) {
    if (report.files().size() != names.length) {
      throw new IllegalStateException(
          "transferred " + report.files().size() + " of " + names.length);
    }
    for (int i = 0; i < names.length; i++) {
      TransferReport.Entry entry = report.files().get(i);
      if (!entry.uploaded() || !entry.metadata().md5().equals(md5s[i])) {
        throw new IllegalStateException("wrong transfer of " + names[i] + ": " + entry);
      }
    }
    return report;
  }
}
