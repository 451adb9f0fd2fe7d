package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExampleDriverArgsTest {

  @Test
  void parsesEveryOption() {
    ExampleDriverArgs args =
        ExampleDriverArgs.parse(
            "--driver",
            "gpu.example.com",
            "--kubelet-root",
            "/var/lib/kubelet",
            "--devices",
            "4",
            "--node",
            "node-a",
            "--api-server",
            "https://127.0.0.1:6443",
            "--pod-uid",
            "uid-1");

    assertThat(args)
        .isEqualTo(
            new ExampleDriverArgs(
                "gpu.example.com",
                Path.of("/var/lib/kubelet"),
                4,
                "node-a",
                "https://127.0.0.1:6443",
                "uid-1"));
    assertThat(args.toConfig(null).podUid()).isEqualTo("uid-1");
    assertThat(args.toConfig(null).client()).isNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing node           | --driver d --kubelet-root /k --devices 1             | --node is required",
        "unknown option         | --driver d --kubelet-root /k --devices 1 --nodes n   | unknown option '--nodes'",
        "option without value   | --driver d --kubelet-root /k --devices 1 --node      | --node needs a value",
        "devices not a number   | --driver d --kubelet-root /k --devices four --node n | --devices must be a number",
        "option given twice     | --driver d --driver e --kubelet-root /k              | --driver given twice",
      })
  void reportsUsageErrorsClearly(String name, String line, String message) {
    assertThatThrownBy(() -> ExampleDriverArgs.parse(line.trim().split("\\s+")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
