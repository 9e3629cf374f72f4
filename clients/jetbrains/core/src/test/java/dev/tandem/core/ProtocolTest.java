package dev.tandem.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.Direction;
import dev.tandem.core.protocol.Protocol.Method;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProtocolTest {
  @Test
  void everyMethodConstantIsInTheTableOnce() throws IllegalAccessException {
    Set<String> constants = new HashSet<>();
    for (Field f : Protocol.Methods.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers())) constants.add((String) f.get(null));
    }
    Set<String> table = new HashSet<>();
    for (Method m : Protocol.METHODS) assertTrue(table.add(m.name()), "twice: " + m.name());
    assertEquals(constants, table);
    assertEquals(14, table.size());
  }

  @Test
  void requestsGoClientToServerWithAResultClass() {
    for (Method m : Protocol.METHODS) {
      assertTrue(m.name().startsWith("tandem/"), m.name());
      assertNotNull(m.params(), m.name());
      if (m.request()) {
        assertEquals(Direction.CLIENT_TO_SERVER, m.direction(), m.name());
        assertNotNull(m.result(), m.name());
      } else {
        assertNull(m.result(), m.name());
      }
    }
    assertSame(Protocol.SessionSnapshot.class, Protocol.method(Protocol.Methods.SESSION_STATUS).params());
    assertEquals("approvals", Protocol.method(Protocol.Methods.APPROVAL_REQUESTED).capability());
    assertNull(Protocol.method("tandem/nope"));
  }

  @Test
  void theClientStateTakesEveryNotificationTheServerSends() {
    ClientState state = new ClientState();
    for (Method m : Protocol.METHODS) {
      if (m.direction() != Direction.SERVER_TO_CLIENT) continue;
      // An empty payload is refused for its missing fields, never for an unknown method.
      ProtocolException e =
          org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> state.accept(m.name(), new com.google.gson.JsonObject()));
      assertTrue(e.getMessage().startsWith(m.name() + ": "), e.getMessage());
    }
    assertFalse(state.accept("window/logMessage", new com.google.gson.JsonObject()));
  }

  @Test
  void flowNamesAndFinalStatusesComeFromTheServer() {
    assertEquals("Fix Pipeline", Protocol.FLOW_NAMES.get(Protocol.FlowId.FIX_PIPELINE));
    assertEquals(3, Protocol.FLOW_NAMES.size());
    assertTrue(Protocol.FINAL_STATUSES.contains(Protocol.SessionStatus.CANCELLED));
    assertFalse(Protocol.FINAL_STATUSES.contains(Protocol.SessionStatus.INTERRUPTED));
    assertEquals(Protocol.SessionStatus.AWAITING_APPROVAL, Protocol.SessionStatus.of("awaiting_approval"));
    assertNull(Protocol.SessionStatus.of("nope"));
  }
}
