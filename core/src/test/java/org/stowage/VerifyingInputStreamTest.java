package org.stowage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Verifying streams over bytes that a backend read whole and hashed before it answered. */
class VerifyingInputStreamTest {
  private static final byte[] DATA = "stowage-content-reference 1\n".repeat(9).getBytes(StandardCharsets.UTF_8);

  @Test
  @DisplayName("R2 ofMatchingBytes hashes once, when made, and the core takes the stream over without a second hash")
  void matchingBytesHashOnce() throws IOException {
    Metadata expected = Metadata.of(DATA);
    try (Md5Counter md5 = Md5Counter.install()) {
      Optional<VerifyingInputStream> made =
          VerifyingInputStream.ofMatchingBytes(DATA, expected, "a/ref", "test: verified load", "R2");
      assertTrue(made.isPresent());
      assertEquals(1, md5.passesOver(DATA.length), "hashed when made");
      VerifyingInputStream in = made.get();
      assertTrue(in.checksUnread(expected), "stands for the core's own verifying stream");
      byte[] read = in.readAllBytes();
      assertArrayEquals(DATA, read);
      assertEquals(-1, in.read());
      assertEquals(0, md5.bytes(), "not hashed again while read");
      in.close();
    }
  }

  @Test
  @DisplayName("R2 readAllBytes of a verifying stream returns exactly the bytes, and throws at a short, long or changed end")
  void readAllBytesVerifies() throws IOException {
    Metadata expected = Metadata.of(DATA);
    try (VerifyingInputStream in = VerifyingInputStream.ofMetadata(
        new java.io.ByteArrayInputStream(DATA), expected, "a", "t", "R2")) {
      assertArrayEquals(DATA, in.readAllBytes());
      assertEquals(0, in.readAllBytes().length, "nothing after the end");
    }
    byte[] flipped = DATA.clone();
    flipped[7] ^= 1;
    for (byte[] wrong : new byte[][] {java.util.Arrays.copyOf(DATA, DATA.length - 1),
        java.util.Arrays.copyOf(DATA, DATA.length + 1), flipped}) {
      VerifyingInputStream in = VerifyingInputStream.ofMetadata(
          new java.io.ByteArrayInputStream(wrong), expected, "a", "t", "R2");
      org.junit.jupiter.api.Assertions.assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
    }
  }

  @Test
  @DisplayName("R2 readAllBytes past 1 MiB grows one array to the expected size; a claimed size far above the bytes there are costs no array of that size, and throws at the end")
  void readAllBytesAboveOneMebibyte() throws IOException {
    byte[] big = new byte[3 * (1 << 20) + 12_345];
    new java.util.Random(7).nextBytes(big);
    Metadata expected = Metadata.of(big);
    try (VerifyingInputStream in = VerifyingInputStream.ofMetadata(
        new java.io.ByteArrayInputStream(big), expected, "a", "t", "R2")) {
      byte[] read = in.readAllBytes();
      assertEquals(big.length, read.length, "exactly the expected size");
      assertArrayEquals(big, read);
    }
    byte[] flipped = big.clone();
    flipped[2 * (1 << 20) + 1] ^= 1;
    VerifyingInputStream changed = VerifyingInputStream.ofMetadata(
        new java.io.ByteArrayInputStream(flipped), expected, "a", "t", "R2");
    org.junit.jupiter.api.Assertions.assertThrows(ChangedExternalResourceException.class, changed::readAllBytes);
    // A caller's wrong word: 2 GiB expected, 100 bytes there.
    Metadata claimed = new Metadata(Metadata.of(new byte[100]).md5(), Integer.MAX_VALUE - 16);
    VerifyingInputStream shorter = VerifyingInputStream.ofMetadata(
        new java.io.ByteArrayInputStream(new byte[100]), claimed, "a", "t", "R2");
    ChangedExternalResourceException e =
        org.junit.jupiter.api.Assertions.assertThrows(ChangedExternalResourceException.class, shorter::readAllBytes);
    assertTrue(e.getMessage().contains("R2"), e.getMessage());
  }

  @Test
  @DisplayName("R2 ofMatchingBytes refuses bytes whose MD5 or length differs from the metadata")
  void mismatchedBytes() {
    Metadata expected = Metadata.of(DATA);
    byte[] flipped = DATA.clone();
    flipped[5] ^= 1;
    assertTrue(VerifyingInputStream.ofMatchingBytes(flipped, expected, "a", "t", "R2").isEmpty());
    byte[] shorter = java.util.Arrays.copyOf(DATA, DATA.length - 1);
    assertTrue(VerifyingInputStream.ofMatchingBytes(shorter, expected, "a", "t", "R2").isEmpty());
    assertTrue(VerifyingInputStream.ofMatchingBytes(new byte[0], Metadata.of(new byte[0]), "a", "t", "R2")
        .isPresent(), "an empty object matches its own metadata");
  }
}
