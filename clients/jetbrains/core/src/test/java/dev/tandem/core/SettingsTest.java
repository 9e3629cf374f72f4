package dev.tandem.core;

import static dev.tandem.core.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void leavesOutBlankValuesAndTrims() {
    assertEquals("{}", Settings.section("", null, " ", null, "").toString());
    assertEquals(
        "{\"model\":{\"baseUrl\":\"http://127.0.0.1:8080/v1\",\"apiKey\":\"sk-1\"},\"gitlab\":{\"url\":\"https://gitlab.example.com\"}}",
        Settings.section(" http://127.0.0.1:8080/v1 ", "", "https://gitlab.example.com", "sk-1", null).toString());
  }

  @Test
  void answersEachConfigurationItemInOrder() {
    var section = Settings.section(null, "m", null, null, null);
    var result = Settings.configuration(json("{'items':[{'section':'tandem'},{'section':'editor'},{}]}"), () -> section);
    assertEquals("[{\"model\":{\"name\":\"m\"}},null,{\"tandem\":{\"model\":{\"name\":\"m\"}}}]", result.toString());
    assertEquals("[]", Settings.configuration(json("{'items':3}"), () -> section).toString());
    assertEquals("[]", Settings.configuration(null, () -> section).toString());
  }
}
