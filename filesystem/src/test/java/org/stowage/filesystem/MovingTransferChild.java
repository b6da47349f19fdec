package org.stowage.filesystem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.stowage.staging.ScratchPolicy;
import org.stowage.staging.StorageManager;

/**
 * The process {@link StagingMoveCrashTest} kills: round after round, forever, it writes {@link
 * #FILES} files into a fresh scratch directory {@code <scratchParent>/round-<r>}, creates the
 * marker {@code round-<r>.generated} next to it, prints {@code round <r>}, and closes a {@link
 * StorageManager} under {@code DELETE_AFTER_TRANSFER} over it (a moving transfer into a {@link
 * FileStorage} on the same filesystem), then prints {@code done <r>}.
 *
 * <p>Arguments: {@code root scratchParent seed}. File {@code i} of round {@code r} holds {@link
 * #content}; its handle is {@code crash/<unit>/<name>} with {@link #unit} and {@link #name}.
 */
public final class MovingTransferChild {
  static final int FILES = 12;

  private MovingTransferChild() {}

  static String unit(long seed, int round) {
    return "s" + seed + "-r" + round;
  }

  static String name(int file) {
    return file % 3 == 0 ? "sub/f" + file + ".bin" : "f" + file + ".bin";
  }

  /** The bytes of file {@code file} of round {@code round}: from 0 to about 256 KiB. */
  static byte[] content(long seed, int round, int file) {
    Random random = new Random(seed * 1_000_003L + round * 101L + file);
    byte[] data = new byte[random.nextInt(4) == 0 ? random.nextInt(64) : random.nextInt(256 * 1024)];
    random.nextBytes(data);
    return data;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    Path scratchParent = Path.of(args[1]);
    long seed = Long.parseLong(args[2]);
    try (FileStorage storage = new FileStorage(root)) {
      for (int round = 0; ; round++) {
        Path scratch = Files.createDirectories(scratchParent.resolve("round-" + round).resolve("sub")).getParent();
        for (int i = 0; i < FILES; i++) {
          Files.write(scratch.resolve(name(i)), content(seed, round, i));
        }
        Files.createFile(scratchParent.resolve("round-" + round + ".generated"));
        System.out.println("round " + round);
        System.out.flush();
        StorageManager manager = StorageManager.builder(scratch, storage, "crash", unit(seed, round))
            .scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER)
            .parallelism(2)
            .build();
        for (int i = 0; i < FILES; i++) {
          manager.register(name(i));
        }
        manager.close();
        System.out.println("done " + round);
        System.out.flush();
      }
    }
  }
}
