package org.stowage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MetadataTest {
  @Test
  @DisplayName("S1 Metadata holds a lowercase hex MD5 and a size, and checks both")
  void validates() {
    assertEquals(
        new Metadata("900150983cd24fb0d6963f7d28e17f72", 3),
        Metadata.of("abc".getBytes(StandardCharsets.US_ASCII)));
    assertThrows(IllegalArgumentException.class, () -> new Metadata("900150983CD24FB0D6963F7D28E17F72", 3));
    assertThrows(IllegalArgumentException.class, () -> new Metadata("abc", 3));
    assertThrows(IllegalArgumentException.class, () -> new Metadata("900150983cd24fb0d6963f7d28e17f72", -1));
    assertThrows(NullPointerException.class, () -> new Metadata(null, 0));
    for (String bad :
        new String[] {
          "", "900150983cd24fb0d6963f7d28e17f7", "900150983cd24fb0d6963f7d28e17f720",
          "900150983cd24fb0d6963f7d28e17f7g", "/00150983cd24fb0d6963f7d28e17f72",
          ":00150983cd24fb0d6963f7d28e17f72", "`00150983cd24fb0d6963f7d28e17f72",
          " 900150983cd24fb0d6963f7d28e17f72", "900150983cd24fb0d6963f7d28e17f7\u0662"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Metadata(bad, 0), bad);
      assertTrue(e.getMessage().contains("32 lowercase hexadecimal digits"), e.getMessage());
    }
    assertEquals(32, new Metadata("0123456789abcdef0123456789abcdef", 0).md5().length());
  }

  @Test
  @DisplayName("describes(data) answers as Metadata.of(data).equals(metadata), byte by byte")
  void describes() {
    java.util.Random random = new java.util.Random(7);
    for (int n : new int[] {0, 1, 15, 16, 17, 255, 4096}) {
      byte[] data = new byte[n];
      random.nextBytes(data);
      Metadata m = Metadata.of(data);
      assertTrue(m.describes(data), "its own bytes, " + n);
      assertTrue(!new Metadata(m.md5(), n + 1L).describes(data), "a size one larger, " + n);
      if (n > 0) {
        assertTrue(!m.describes(Arrays.copyOf(data, n - 1)), "one byte shorter, " + n);
        for (int i : new int[] {0, n / 2, n - 1}) {
          byte[] flipped = data.clone();
          flipped[i] ^= 1;
          assertTrue(!m.describes(flipped), "a bit flipped at " + i + " of " + n);
        }
      }
      // every hex digit of the recorded MD5 is compared: change each in turn
      for (int i = 0; i < 32; i++) {
        char c = m.md5().charAt(i);
        String other = m.md5().substring(0, i) + (c == '0' ? 'f' : '0') + m.md5().substring(i + 1);
        assertTrue(!new Metadata(other, n).describes(data), "digit " + i + " changed, " + n);
      }
    }
  }

  @Test
  @DisplayName("newMd5 gives a fresh, independent digest on every call, from any thread")
  void newMd5IsFreshAndIndependent() throws Exception {
    MessageDigest first = Metadata.newMd5();
    first.update("abc".getBytes(StandardCharsets.US_ASCII));
    MessageDigest second = Metadata.newMd5();
    assertNotSame(first, second);
    assertEquals("MD5", second.getAlgorithm());
    assertEquals("d41d8cd98f00b204e9800998ecf8427e", HexFormat.of().formatHex(second.digest()));
    assertEquals("900150983cd24fb0d6963f7d28e17f72", HexFormat.of().formatHex(first.digest()));

    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        byte[] data = new byte[1000 + t];
        Arrays.fill(data, (byte) t);
        String expected = Metadata.of(data).md5();
        results.add(pool.submit(() -> {
          start.await();
          int mismatches = 0;
          for (int i = 0; i < 2000; i++) {
            if (!expected.equals(HexFormat.of().formatHex(Metadata.newMd5().digest(data)))) {
              mismatches++;
            }
          }
          return mismatches;
        }));
      }
      for (Future<Integer> r : results) {
        assertEquals(0, r.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
