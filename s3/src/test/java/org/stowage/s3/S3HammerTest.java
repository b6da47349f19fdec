package org.stowage.s3;

import org.stowage.testkit.Hammer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Rules T1, S2, S5 on S3: threads in this JVM and in a forked one hammer one bucket prefix through
 * two S3Storage instances with the {@link Hammer} workload; afterwards every object verifies and
 * holds one writer's whole content, every CREATE round had exactly one winner across both
 * processes, and no multipart upload or temporary object is left. {@code
 * -Dstowage.hammer.rounds=N} for a longer run.
 */
@ExtendWith(S3TestEnvironment.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class S3HammerTest {
  private static final int ROUNDS = Integer.getInteger("stowage.hammer.rounds", 50);

  private Process child;

  @AfterEach
  void killChild() {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
    }
  }

  @Test
  @DisplayName("T1 S2 S5 four threads in each of two processes hammer one bucket: every object whole, one CREATE winner per key")
  void twoProcesses(S3Endpoint endpoint) throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    // Contents up to 100 kB: single PUTs (uploads in parts race in the contract suites).
    Hammer.Config config = new Hammer.Config(4, ROUNDS, 2, 100_000, 20250611L);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        S3HammerChild.class.getName(),
        endpoint.uri().toString(), endpoint.region(), endpoint.bucket(), prefix));
    command.addAll(config.toArgs());
    try (S3Storage storage =
        endpoint.storage(prefix).partSize(S3Storage.MIN_PART_SIZE).uploadConcurrency(2).build()) {
      Hammer.warmUp(storage, 0);
      child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      OutputStream toChild = child.getOutputStream();
      toChild.write((endpoint.accessKey() + "\n" + endpoint.secretKey() + "\n").getBytes(StandardCharsets.UTF_8));
      toChild.flush();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("READY", out.readLine(), "the child started");
      toChild.write("GO\n".getBytes(StandardCharsets.UTF_8));
      toChild.flush();
      List<String> lines = new ArrayList<>(Hammer.run(storage, 0, config));
      List<String> theirs = new ArrayList<>();
      for (String line = out.readLine(); line != null && !line.equals("DONE"); line = out.readLine()) {
        theirs.add(line);
      }
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue());
      long ourWins = lines.stream().filter(l -> l.startsWith("WON")).count();
      long theirWins = theirs.stream().filter(l -> l.startsWith("WON")).count();
      lines.addAll(theirs);
      assertEquals(List.of(), Hammer.check(storage, lines, config));
      assertEquals(ROUNDS, ourWins + theirWins, "one winner per round");
      try (S3Client raw = endpoint.client()) {
        assertEquals(List.of(),
            raw.listMultipartUploads(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/")).uploads(),
            "no multipart upload is left");
        List<String> temps =
            raw.listObjectsV2Paginator(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/" + S3Storage.TEMP_FOLDER))
                .contents().stream().map(S3Object::key).collect(Collectors.toList());
        assertEquals(List.of(), temps, "no temporary object is left");
      }
      System.out.println("S3HammerTest: CREATE rounds won by this process " + ourWins
          + ", by the other " + theirWins);
    }
  }
}
