"""Which free worker draws a LoRA job: the model's, then the one with its LoRAs loaded."""

from __future__ import annotations

from dataclasses import dataclass

from engine.executor import WorkerStatus
from engine.tickets import Slot, choose_slot


@dataclass
class Idle:
    """A worker as the dispatcher sees it: only its status matters here."""

    state: WorkerStatus

    def status(self) -> WorkerStatus:
        return self.state


def slot(name: str, models: tuple[str, ...], loras: tuple[str, ...], last_used: float) -> Slot:
    return Slot(Idle(WorkerStatus(name, True, loaded=models, loras=loras)), last_used=last_used)  # type: ignore[arg-type]


def test_the_worker_with_the_model_and_most_of_the_loras_wins() -> None:
    a = slot("a", ("sd",), (), last_used=1.0)
    b = slot("b", ("sd",), ("lora_ink",), last_used=5.0)
    c = slot("c", ("xl",), ("lora_ink", "lora_paper"), last_used=0.0)
    assert choose_slot([a, b, c], "sd", ["lora_ink", "lora_paper"]) is b
    assert choose_slot([a, b, c], "sd") is a  # no LoRAs: the one idle longest with the model
    assert choose_slot([a, b, c], "xl", ["lora_ink"]) is c
    assert choose_slot([a, b], "anime", ["lora_ink"]) is b  # nobody has the model: LoRAs count
