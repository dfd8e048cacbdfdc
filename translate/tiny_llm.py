"""A tiny Qwen2-style chat model for tests and benchmarks, built here (nothing downloaded).

`build_tiny_llm(dest)` writes a model folder the way `save_pretrained` writes a real one:
a byte-level BPE tokenizer trained in code with the `tokenizers` library, Qwen's ChatML chat
template, and a 2-layer Qwen2ForCausalLM with random weights (its answers are gibberish).
With `answer`, the weights are set so that greedy decoding writes exactly that answer and then
<|im_end|>, whatever the question: a scripted model for testing what happens to an answer.
"""

from __future__ import annotations

import itertools
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_LINES = [
    "You translate Chinese text-to-image prompts into English image prompts.",
    "Glossary: 新海诚 = Makoto Shinkai; 水彩 = watercolor",
    "Chinese prompt: 一只猫坐在月亮上，水彩画，景深",
    "a cat sitting on the moon, watercolor painting, depth of field",
    "森林里的狐狸 雪山 月光下的古老城堡 赛博朋克风格的黄昏街道",
    "a fox in the forest, snowy mountains, an old castle under the moonlight",
]


def _tokenizer(extra_lines: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # any text encodes, as bytes
        show_progress=False,
    )
    bpe.train_from_iterator((_LINES + extra_lines) * 8, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
        chat_template=CHAT_TEMPLATE,
    )


def _script(model, tokenizer, answer: str) -> None:
    """Wire the weights so greedy decoding after the generation prompt writes `answer`.

    With every attention and MLP output zeroed, the last hidden state is the (normalised)
    embedding of the current token, so the next token is a function of the current one: a
    chain trigger -> answer tokens -> <|im_end|>, each link one orthogonal direction."""
    import torch

    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "x"}], add_generation_prompt=True, return_dict=True
    )
    trigger = prompt["input_ids"][-1]
    chain = [trigger, *tokenizer.encode(answer, add_special_tokens=False)]
    chain.append(tokenizer.convert_tokens_to_ids("<|im_end|>"))
    if len(set(chain)) != len(chain) or len(chain) > model.config.hidden_size:
        raise ValueError(f"cannot script {answer!r}: its tokens repeat or are too many")
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        embed, head = model.model.embed_tokens.weight, model.lm_head.weight
        for index, (token, following) in enumerate(itertools.pairwise(chain)):
            embed[token].zero_()
            embed[token, index] = 1.0
            head[following, index] = 10.0


def build_tiny_llm(dest: Path, *, answer: str | None = None, seed: int = 0) -> Path:
    """Write a tiny chat model folder to `dest` and return it."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Writing model shards" on every save
    tokenizer = _tokenizer([answer] if answer else [])
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    if answer is not None:
        _script(model, tokenizer, answer)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    dest.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    return dest
