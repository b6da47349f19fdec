package org.stowage.s3;

import org.stowage.testkit.Hammer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The second process of {@link S3HammerTest}: opens an S3Storage on the shared bucket and prefix,
 * says {@code READY}, waits for {@code GO} on stdin, runs the {@link Hammer} workload as process 1,
 * prints its lines, then {@code DONE}.
 *
 * <p>Arguments: {@code endpoint region bucket prefix threads rounds opsPerRound maxSize seed}; the
 * access key and the secret come on stdin, one line each, before {@code GO}.
 */
public final class S3HammerChild {
  private S3HammerChild() {}

  public static void main(String[] args) throws Exception {
    Hammer.Config config = Hammer.Config.fromArgs(args, 4);
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String accessKey = stdin.readLine();
    String secretKey = stdin.readLine();
    S3Endpoint endpoint = new S3Endpoint(URI.create(args[0]), args[1], accessKey, secretKey, args[2], "parent's");
    try (S3Storage storage =
        endpoint.storage(args[3]).partSize(S3Storage.MIN_PART_SIZE).uploadConcurrency(2).build()) {
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
