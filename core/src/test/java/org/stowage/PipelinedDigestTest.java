package org.stowage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PipelinedDigestTest {

  @Test
  @DisplayName("S1 the pipelined digest equals MessageDigest for any split of the bytes, across the inline threshold")
  void equalsPlainDigest() {
    qt().withExamples(25)
        .forAll(longs().between(0, Long.MAX_VALUE), integers().between(1, 3 * PipelinedDigest.CHUNK_BYTES),
            integers().between(0, PipelinedDigest.INLINE_BYTES + 3 * PipelinedDigest.CHUNK_BYTES + 7))
        .check((seed, maxPiece, total) -> {
          byte[] data = new byte[total];
          Random random = new Random(seed);
          random.nextBytes(data);
          PipelinedDigest pipelined = new PipelinedDigest(Metadata.newMd5());
          try {
            for (int off = 0; off < total; ) {
              int n = Math.min(total - off, 1 + random.nextInt(maxPiece));
              pipelined.update(data, off, n);
              off += n;
            }
            return java.util.Arrays.equals(pipelined.digest(), Metadata.newMd5().digest(data));
          } catch (IOException e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  @DisplayName("an abandoned digest stops its hasher thread")
  void abandonedDigestStopsItsThread() throws Exception {
    byte[] big = new byte[PipelinedDigest.INLINE_BYTES + 2 * PipelinedDigest.CHUNK_BYTES];
    for (int round = 0; round < 20; round++) {
      PipelinedDigest d = new PipelinedDigest(Metadata.newMd5());
      d.update(big, 0, big.length);
      d.close();
    }
    // Twenty abandoned digests must not leave hasher tasks blocked forever: each was cancelled,
    // so every hasher thread leaves hashChunks and goes back to the pool (a wait on a condition).
    long deadline = System.nanoTime() + 10_000_000_000L;
    long inTask;
    while ((inTask = threadsInHashingTask()) > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(0, inTask, "hasher tasks still running after their digests were abandoned");
  }

  private static long threadsInHashingTask() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().startsWith("stowage-hasher-"))
        .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("hashChunks")))
        .count();
  }

  @Test
  @DisplayName("S1 R2 large stores and verified loads hash right through the pipeline")
  void largeObjectsThroughTheCore() throws IOException {
    TreeMapStorage storage = new TreeMapStorage();
    byte[] data = new byte[PipelinedDigest.INLINE_BYTES * 3 + 12345];
    new Random(9).nextBytes(data);
    Metadata expected = Metadata.of(data);
    InputStream unknownLength = new ByteArrayInputStream(data) {
      @Override
      public synchronized int available() {
        return 0;
      }
    };
    assertEquals(expected, storage.storeStream("big", unknownLength));
    assertArrayEquals(data, storage.loadBytes("big", expected));
    assertEquals(expected, storage.verify("big"));
    storage.objects.get("big")[data.length - 1] ^= 1;
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("big", expected));
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("big"));
  }

  @Test
  @DisplayName("MessageDigest sanity: MD5 of nothing")
  void empty() throws Exception {
    PipelinedDigest d = new PipelinedDigest(MessageDigest.getInstance("MD5"));
    assertEquals("d41d8cd98f00b204e9800998ecf8427e", java.util.HexFormat.of().formatHex(d.digest()));
  }
}
