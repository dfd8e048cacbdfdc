"""A tiny .argosmodel built locally: random MarianMT weights, converted by CTranslate2.

zh->en by default (the prompt translator's), en->zh on request (/describe's glosses). It exists
so tests and the benchmark exercise the real argos path (install from a file, load with argos'
Package and CTranslate2, tokenize, translate, detokenize) with no download. Its SentencePiece
model is trained on a few prompt lines in both languages; its translations are gibberish.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

_LANGUAGES = {"zh": "Chinese", "en": "English"}


@dataclass(frozen=True, slots=True)
class Shape:
    d_model: int
    layers: int  # encoder and decoder each
    heads: int
    ffn: int
    vocab: int  # at least the SentencePiece pieces; more are padding rows, as a real vocab has


TINY = Shape(d_model=16, layers=1, heads=2, ffn=32, vocab=0)
# The shape of argos' zh->en model (OpenNMT Transformer base, ~32k shared vocabulary): for the
# benchmark's estimate of the real model's speed.
BASE = Shape(d_model=512, layers=6, heads=8, ffn=2048, vocab=32000)
_LINES = [
    "一只赛博朋克风格的猫坐在霓虹灯下",
    "a cyberpunk style cat sitting under neon lights",
    "水彩画 山水 风景 油画 肖像 少女",
    "watercolor landscape oil painting portrait of a girl",
    "景深 电影级光照 超高清 杰作",
    "depth of field cinematic lighting masterpiece",
    "森林里的狐狸 雪山 月光下的古老城堡",
    "a fox in the forest snowy mountains an old castle under the moon",
]


def _train_sentencepiece() -> bytes:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_LINES * 4),
        model_writer=model,
        vocab_size=96,
        hard_vocab_limit=False,  # a few lines hold fewer pieces than any fixed size
        character_coverage=1.0,
        model_type="unigram",
        # Marian's layout: </s> and <unk> first, no <s>; Transformers appends <pad> itself.
        bos_id=-1,
        eos_id=0,
        unk_id=1,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _convert_marian(spm_model: bytes, work: Path, out: Path, seed: int, shape: Shape) -> None:
    import sentencepiece
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    pieces = sentencepiece.SentencePieceProcessor(model_proto=spm_model)
    vocab = {pieces.id_to_piece(i): i for i in range(pieces.get_piece_size())}
    for index in range(len(vocab), shape.vocab - 1):
        vocab[f"<extra_{index}>"] = index
    vocab["<pad>"] = len(vocab)
    hf = work / "marian"
    hf.mkdir()
    (hf / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (hf / name).write_bytes(spm_model)
    tokenizer = MarianTokenizer(
        str(hf / "source.spm"), str(hf / "target.spm"), str(hf / "vocab.json")
    )
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        max_position_embeddings=256,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
        decoder_start_token_id=vocab["<pad>"],
    )
    torch.manual_seed(seed)
    MarianMTModel(config).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    TransformersConverter(str(hf)).convert(str(out), force=True)


def build_tiny_package(
    dest: Path, seed: int = 0, shape: Shape = TINY, direction: tuple[str, str] = ("zh", "en")
) -> Path:
    """Write `dest/translate-zh_en-tiny.argosmodel` (or that of `direction`), return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    source, target = direction
    name = f"translate-{source}_{target}-tiny"
    archive = dest / f"{name}.argosmodel"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        package = work / name
        package.mkdir()
        spm_model = _train_sentencepiece()
        (package / "sentencepiece.model").write_bytes(spm_model)
        _convert_marian(spm_model, work, package / "model", seed, shape)
        metadata = {
            "package_version": "0.1",
            "argos_version": "1.9",
            "from_code": source,
            "from_name": _LANGUAGES[source],
            "to_code": target,
            "to_name": _LANGUAGES[target],
            "type": "translate",
        }
        (package / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        (package / "README.md").write_text(
            "Random weights for tests: translations are gibberish.\n", encoding="utf-8"
        )
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(package.rglob("*")):
                zipped.write(path, path.relative_to(work).as_posix())
    return archive
