package org.stowage.filesystem;

import org.stowage.testkit.Hammer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The second process of {@link FileStorageHammerTest}: opens a FileStorage on the shared root,
 * says {@code READY}, waits for {@code GO} on stdin, runs the {@link Hammer} workload as process 1,
 * prints its lines, then {@code DONE}.
 *
 * <p>Arguments: {@code root threads rounds opsPerRound maxSize seed}.
 */
public final class HammerChild {
  private HammerChild() {}

  public static void main(String[] args) throws Exception {
    Hammer.Config config = Hammer.Config.fromArgs(args, 1);
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (FileStorage storage = new FileStorage(Path.of(args[0]))) {
      Hammer.warmUp(storage, 1);
      System.out.println("READY");
      System.out.flush();
      if (!"GO".equals(stdin.readLine())) {
        System.exit(2);
      }
      List<String> lines = Hammer.run(storage, 1, config);
      for (String line : lines) {
        System.out.println(line);
      }
    }
    System.out.println("DONE");
    System.out.flush();
  }
}
