package org.stowage.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.stowage.ExternalStorage;
import org.stowage.StoredObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "get",
    description = {
      "Write an object to FILE (or stdout, with -), verified against its recorded MD5 and size.",
      "The file is written under a temporary name beside FILE and renamed to FILE only once every"
          + " byte is verified: FILE is the old file or the whole verified object, never a part."
          + " Damage exits with 1 and leaves FILE as it was."
    })
final class GetCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "URI", description = "The store.")
  String store;

  @Parameters(index = "1", paramLabel = "LOCATION", description = "The object.")
  String location;

  @Parameters(index = "2", paramLabel = "FILE|-", description = "Where to write it; - for stdout.")
  String file;

  @Override
  public Integer call() throws IOException {
    // One look at the object gives the bytes and the metadata they are verified against.
    try (ExternalStorage storage = open(store);
        StoredObject object = storage.loadObject(location)) {
      long size = object.metadata().size();
      boolean bar = size >= Transfers.BAR_THRESHOLD && !file.equals("-") && progressAllowed(false);
      try (Progress progress = Progress.start("get", size, true, bar)) {
        if (file.equals("-")) {
          Transfers.toStdout(object.stream(), progress);
        } else {
          writeAtomically(object.stream(), Path.of(file).toAbsolutePath(), progress);
        }
      }
    }
    return ExitCode.OK;
  }

  private static void writeAtomically(InputStream in, Path target, Progress progress) throws IOException {
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new Failures.UsageException("no directory to write " + target + " into");
    }
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".stowage-part");
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        Transfers.copy(in, out, progress); // throws at the end if the bytes are not the recorded ones
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
