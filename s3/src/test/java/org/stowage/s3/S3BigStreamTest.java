package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * S4 with numbers: a large stream of unknown length goes up in parts through a JVM whose heap is
 * capped at 128 MiB, far below the stream's size. The size is the system property {@code
 * stowage.s3.bigStreamBytes} (default 256 MiB, to keep the build short; run it with {@code
 * -Dstowage.s3.bigStreamBytes=1073741824} for the full 1 GiB).
 */
class S3BigStreamTest {
  static final long DEFAULT_BYTES = 256L << 20;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  @DisplayName("S4 a large stream uploads in parts with the heap capped at 128 MiB, and keeps its MD5")
  void bigStreamInSmallHeap(@TempDir Path dir) throws IOException, InterruptedException {
    long size = Long.getLong("stowage.s3.bigStreamBytes", DEFAULT_BYTES);
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(classpath);
    command.add(BigStreamMain.class.getName());
    command.add(Long.toString(size));
    command.add(dir.resolve("blobs").toString());
    Path log = dir.resolve("child.log");
    Process child =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean finished = child.waitFor(14, TimeUnit.MINUTES);
    if (!finished) {
      child.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(finished, "the child JVM did not finish:\n" + output);
    assertEquals(0, child.exitValue(), "child JVM output:\n" + output);
    assertTrue(output.contains("OK"), output);
    output.lines().filter(l -> l.startsWith("maxHeap=")).forEach(System.out::println);
    assertTrue(output.contains("size=" + size + "]"), output);
    long maxHeap = Long.parseLong(output.replaceAll("(?s).*maxHeap=(\\d+).*", "$1"));
    assertTrue(maxHeap <= 128L << 20, "heap capped: " + maxHeap);
    assertTrue(size > maxHeap || size < DEFAULT_BYTES, "the stream is larger than the heap");
  }
}
