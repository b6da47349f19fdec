package org.stowage.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule S4 (and R2), shown in a real JVM: a stream many times the heap is stored and loaded back
 * verified through FileStorage in a forked {@code java -Xmx64m}. 256 MiB by default; the system
 * property {@code stowage.bigStreamBytes} raises it (the full benchmark profile runs 4 GiB).
 */
class BigStreamCheckTest {
  @TempDir Path dir;

  @Test
  @DisplayName("S4 R2 a stream four times the heap goes through FileStorage under -Xmx64m")
  void storesAndLoadsUnderSmallHeap() throws Exception {
    String configured = System.getProperty("stowage.bigStreamBytes", "");
    long bytes = configured.isBlank() ? 256L << 20 : Long.parseLong(configured.trim());
    BigStreamCheck.Outcome outcome =
        BigStreamCheck.runForked(
            "file", bytes, "64m", System.getProperty("java.class.path"), dir, 30);
    assertTrue(outcome.passed(), outcome.output());
    assertEquals(bytes, (long) outcome.number("bytes"), outcome.output());
    assertTrue(outcome.number("maxHeapBytes") <= 64L << 20, outcome.output());
    assertTrue(outcome.number("peakHeapBytes") < bytes, outcome.output());
  }

  @Test
  @DisplayName("S4 R2 a stream twice the heap goes through S3Storage and s3proxy in one JVM under -Xmx128m")
  void storesAndLoadsThroughS3UnderSmallHeap() throws Exception {
    String configured = System.getProperty("stowage.bigStreamBytes", "");
    long bytes = configured.isBlank() ? 256L << 20 : Long.parseLong(configured.trim());
    BigStreamCheck.Outcome outcome =
        BigStreamCheck.runForked(
            "s3", bytes, "128m", System.getProperty("java.class.path"), dir, 30);
    assertTrue(outcome.passed(), outcome.output());
    assertEquals(bytes, (long) outcome.number("bytes"), outcome.output());
    assertTrue(outcome.number("maxHeapBytes") <= 128L << 20, outcome.output());
  }

  @Test
  @DisplayName("S4 the check itself fails when the heap is too small for what it does")
  void reportsFailure() throws Exception {
    // 4 MiB of heap cannot even hold the JVM's own start-up plus the 1 MiB buffers: the forked
    // check must report a failure, not pass by accident.
    BigStreamCheck.Outcome outcome =
        BigStreamCheck.runForked(
            "file", 64L << 20, "4m", System.getProperty("java.class.path"), dir, 5);
    assertTrue(!outcome.passed(), outcome.output());
  }
}
