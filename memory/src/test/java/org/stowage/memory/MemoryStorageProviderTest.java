package org.stowage.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalStorage;

class MemoryStorageProviderTest {
  @Test
  @DisplayName("memory: opens a new, empty MemoryStorage each time")
  void opens() {
    try (ExternalStorage a = ExternalStorage.open("memory:"); ExternalStorage b = ExternalStorage.open("memory:/")) {
      assertInstanceOf(MemoryStorage.class, a);
      assertNotSame(a, b);
      a.storeBytes("x", new byte[1]);
      assertEquals(false, b.exists("x"));
    }
  }

  @Test
  @DisplayName("memory:?maxBytes=N bounds the store; anything else is refused with the URI named")
  void parameters() {
    try (ExternalStorage s = ExternalStorage.open("memory:?maxBytes=10")) {
      assertEquals(10, ((MemoryStorage) s).maxTotalBytes());
    }
    for (String bad : new String[] {"memory:?maxBytes=-1", "memory:?maxBytes=x", "memory:?other=1",
        "memory:?maxBytes=1&x=2", "memory://host/path", "memory:name"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalStorage.open(bad), bad);
      assertEquals(true, e.getMessage().contains("memory"), e.getMessage());
    }
  }
}
