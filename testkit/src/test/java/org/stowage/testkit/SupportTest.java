package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.Metadata;

/** Capabilities, tuning and generated contents. */
class SupportTest {

  @Test
  @DisplayName("Capabilities.none() and the withers")
  void capabilities() {
    Capabilities none = Capabilities.none();
    assertFalse(none.crossProcessSafety());
    assertFalse(none.localFileUris());
    assertEquals(4L << 20, none.maxObjectSize());
    assertEquals(Optional.empty(), none.corrupter());
    Corrupter corrupter = (storage, location) -> { };
    Capabilities all = none.withCrossProcessSafety(true).withLocalFileUris(true)
        .withMaxObjectSize(1 << 20).withCorrupter(corrupter).withMaxLocationBytes(900)
        .withLargeListingSize(300).withObjectsReadWithListing(true);
    assertEquals(new Capabilities(true, true, 1 << 20, Optional.of(corrupter), 900, 300, true), all);
    assertFalse(none.objectsReadWithListing());
    assertEquals(1024, none.maxLocationBytes());
    assertEquals(2600, none.largeListingSize());
    assertThrows(IllegalArgumentException.class, () -> none.withMaxLocationBytes(1025));
    assertThrows(IllegalArgumentException.class, () -> none.withMaxLocationBytes(511));
    assertThrows(IllegalArgumentException.class, () -> none.withLargeListingSize(0));
    assertThrows(IllegalArgumentException.class, () -> none.withMaxObjectSize(65535));
    assertThrows(NullPointerException.class, () -> none.withCorrupter(null));
  }

  @Test
  @DisplayName("stowage.examples and stowage.seed: configuration first, then the environment")
  void tuning() {
    Map<String, String> config = Map.of("stowage.examples", "7", "stowage.seed", "-3");
    Map<String, String> env = Map.of("STOWAGE_EXAMPLES", "9", "STOWAGE_SEED", "5");
    Tuning fromConfig = Tuning.read(k -> Optional.ofNullable(config.get(k)), env::get);
    assertEquals(new Tuning(7, OptionalLong.of(-3)), fromConfig);
    assertEquals(-3, fromConfig.nextSeed());
    assertEquals(1, fromConfig.examples(10));
    Tuning fromEnv = Tuning.read(k -> Optional.empty(), env::get);
    assertEquals(new Tuning(9, OptionalLong.of(5)), fromEnv);
    Tuning defaults = Tuning.read(k -> Optional.empty(), k -> null);
    assertEquals(new Tuning(100, OptionalLong.empty()), defaults);
    assertThrows(IllegalArgumentException.class,
        () -> Tuning.read(k -> Optional.of("many"), k -> null));
  }

  @Test
  @DisplayName("S4 generated contents: streams of unknown length in odd chunks, failing halfway")
  void contents() throws IOException {
    Content content = new Content(100_000, 7);
    byte[] bytes = content.bytes();
    assertEquals(100_000, bytes.length);
    assertEquals(Metadata.of(bytes), content.metadata(), "MessageDigest and the core agree");
    try (InputStream in = content.unknownLengthStream()) {
      assertEquals(0, in.available());
      byte[] buffer = new byte[100_000];
      assertEquals(1, in.read(buffer), "the first chunk is one byte");
      assertEquals(7, in.read(buffer, 1, buffer.length - 1), "the second seven");
      int off = 8;
      int n;
      while ((n = in.read(buffer, off, buffer.length - off)) > 0) {
        off += n;
      }
      assertArrayEquals(bytes, buffer);
    }
    try (InputStream in = content.failingStream()) {
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      assertTrue(e.getMessage().contains("on purpose"));
    }
    assertFalse(new Content(5, 1).metadata().equals(new Content(5, 2).metadata()));
  }
}
