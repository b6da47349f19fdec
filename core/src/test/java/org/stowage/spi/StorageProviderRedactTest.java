package org.stowage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;

/** Rule T2 for storage URIs: messages never repeat a credential a user put in one. */
class StorageProviderRedactTest {
  @Test
  @DisplayName("T2 redact hides user information, nested too, and credential-like parameters")
  void redacts() {
    assertEquals("s3://***@bucket/p", StorageProvider.redact("s3://AKID:SECRET@bucket/p"));
    assertEquals("s3://***@bucket/p", StorageProvider.redact("s3://AKID@bucket/p"));
    assertEquals("***@bucket/p", StorageProvider.redact("AKID:SECRET@bucket/p"));
    assertEquals(
        "s3://b/p?endpoint=http://***@host:9000&region=r",
        StorageProvider.redact("s3://b/p?endpoint=http://AKID:SE/CR+ET@host:9000&region=r"));
    assertEquals(
        "s3://b/p?endpoint=http%3A%2F%2F***%40host",
        StorageProvider.redact("s3://b/p?endpoint=http%3A%2F%2FAKID%3ASECRET%40host"));
    assertEquals(
        "s3://b/p?accessKey=***&secret_access_key=***&Token=***&region=eu",
        StorageProvider.redact("s3://b/p?accessKey=AKID&secret_access_key=S&Token=T&region=eu"));
    assertEquals("file:///data/store?durable=true", StorageProvider.redact("file:///data/store?durable=true"));
    assertEquals("memory:", StorageProvider.redact("memory:"));
    assertEquals("null", StorageProvider.redact(null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "nosuchscheme://AKIDSTOWAGE:SECRETSTOWAGE@bucket/p",
        "AKIDSTOWAGE:SECRETSTOWAGE@bucket/p",
        "nosuchscheme://b/p?password=SECRETSTOWAGE&key=AKIDSTOWAGE",
        "nosuchscheme://AKIDSTOWAGE:SECRETSTOWAGE@bucket/with space",
        "nosuchscheme://b/p?endpoint=http://AKIDSTOWAGE:SECRETSTOWAGE@h/%zz"
      })
  @DisplayName("T2 ExternalStorage.open refuses a URI without repeating its credentials, nor chaining an exception that does")
  void openDoesNotRepeatCredentials(String uri) {
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> ExternalStorage.open(uri).close());
    assertTrue(e instanceof IllegalArgumentException || e instanceof ExternalResourceException, e.toString());
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertFalse(t.toString().contains("SECRETSTOWAGE"), t.toString());
      assertFalse(t.toString().contains("AKIDSTOWAGE"), t.toString());
    }
  }
}
