package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalStorage;
import org.stowage.WritePolicy;
import org.stowage.testkit.reference.BrokenStorage;
import org.stowage.testkit.reference.ReferenceStorage;

/** The model check passes a correct backend and shrinks a failure of a broken one. */
class ModelCheckTest {
  private static final List<Op> SEQUENCE = List.of(
      new Op.Store("a", new Content(3, 2), WritePolicy.OVERWRITE, Op.Source.BYTES),
      Op.exists("b/a"),
      new Op.Store("c/d/e", new Content(1, 1), WritePolicy.CREATE, Op.Source.STREAM),
      new Op.ListPrefix(""),
      Op.delete("a"),
      new Op.Load("c/d/e", true),
      new Op.VerifiedLoad("c/d/e", false, null));

  @Test
  @DisplayName("a correct backend agrees with the model")
  void agrees() {
    try (Scratch scratch = new Scratch();
        ExternalStorage storage = new ReferenceStorage(new ReferenceStorage.Root(), "m")) {
      assertDoesNotThrow(() -> new ModelCheck(storage, scratch).check(SEQUENCE));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("D1 a delete that keeps the object is reported as a two-step transcript")
  void shrinks() throws Exception {
    try (Scratch scratch = new Scratch();
        ExternalStorage storage = new BrokenStorage(BrokenStorage.Flaw.DELETE_KEEPS_OBJECT)) {
      AssertionError e = assertThrows(AssertionError.class,
          () -> new ModelCheck(storage, scratch).check(SEQUENCE));
      String message = e.getMessage();
      assertTrue(message.contains("Shrunk from 7 to 2 operation(s)"), message);
      assertTrue(message.contains("   1. store \"a\"") && message.contains("   2. delete \"a\""),
          message);
      assertTrue(message.contains("(rule D1)"), message);
    }
  }
}
