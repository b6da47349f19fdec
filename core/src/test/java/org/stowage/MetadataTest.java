package org.stowage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
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
  }
}
