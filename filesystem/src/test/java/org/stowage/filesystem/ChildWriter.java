package org.stowage.filesystem;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.stowage.ExistingExternalResourceException;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * The other process of {@link FileStorageProcessesTest}: opens a storage on a shared root, says
 * {@code READY} on stdout, waits for a {@code GO} line on stdin, then writes, and reports.
 *
 * <p>Arguments: {@code root mode rounds seed hardLinks}. Modes: {@code overwrite} stores {@link
 * #content(long)} of {@code seed} at {@code shared} {@code rounds} times; {@code create} reads a
 * line {@code <i>} per round from stdin (until {@code END}), tries to CREATE {@code race/<i>} with
 * 100 bytes of {@code seed}'s content, and prints {@code WON <i>} or {@code LOST <i>}; {@code move}
 * moves {@code y/<k>} to {@code x/<k>} for every k below {@link #MOVE_KEYS}, {@code rounds} times.
 * All end with {@code DONE}.
 */
public final class ChildWriter {
  /** How many objects the {@code move} mode moves back and forth. */
  static final int MOVE_KEYS = 16;

  private ChildWriter() {}

  /** The content a writer with {@code seed} stores. */
  static byte[] content(long seed) {
    return Disk.content(seed, 256 * 1024 + (int) seed);
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    String mode = args[1];
    int rounds = Integer.parseInt(args[2]);
    long seed = Long.parseLong(args[3]);
    boolean hardLinks = Boolean.parseBoolean(args[4]);
    BufferedReader stdin =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (FileStorage storage = FileStorage.builder(root).hardLinks(hardLinks).build()) {
      byte[] data = content(seed);
      System.out.println("READY");
      System.out.flush();
      if (!"GO".equals(stdin.readLine())) {
        System.exit(2);
      }
      if (mode.equals("overwrite")) {
        for (int i = 0; i < rounds; i++) {
          storage.storeBytes("shared", data);
        }
      } else if (mode.equals("move")) {
        // The other process moves x/<k> to y/<k>; this one moves them back, as fast as it can.
        for (int i = 0; i < rounds; i++) {
          for (int k = 0; k < MOVE_KEYS; k++) {
            try {
              storage.move("y/" + k, "x/" + k, WritePolicy.CREATE);
            } catch (MissingExternalResourceException | ExistingExternalResourceException e) {
              // not there now, or the other process moved it back meanwhile
            }
          }
        }
      } else {
        // One round per line, so that both processes start each round together.
        byte[] small = Disk.content(seed, 100);
        String line;
        while ((line = stdin.readLine()) != null && !line.equals("END")) {
          try {
            storage.storeBytes("race/" + line, small, WritePolicy.CREATE);
            System.out.println("WON " + line);
          } catch (ExistingExternalResourceException lost) {
            System.out.println("LOST " + line);
          }
          System.out.flush();
        }
      }
    }
    System.out.println("DONE");
    System.out.flush();
  }
}
