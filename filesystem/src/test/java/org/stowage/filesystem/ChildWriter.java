package org.stowage.filesystem;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.stowage.ExistingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * The other process of {@link FileStorageProcessesTest}: opens a storage on a shared root, says
 * {@code READY} on stdout, waits for a {@code GO} line on stdin, then writes, and reports.
 *
 * <p>Arguments: {@code root mode rounds seed hardLinks}. Modes: {@code overwrite} stores {@link
 * #content(long)} of {@code seed} at {@code shared} {@code rounds} times; {@code create} reads a
 * line {@code <i>} per round from stdin (until {@code END}), tries to CREATE {@code race/<i>} with
 * 100 bytes of {@code seed}'s content, and prints {@code WON <i>} or {@code LOST <i>}. Both end
 * with {@code DONE}.
 */
public final class ChildWriter {
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
