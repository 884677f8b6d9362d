// edgenode-gen-model: writes a GGUF model with deterministic random weights and a synthetic
// SPM tokenizer. Example (a SmolLM2-135M-shaped Q8_0 file, one command line):
//   edgenode-gen-model --arch llama --n-embd 576 --n-layer 30 --n-head 9 --n-head-kv 3
//     --n-ff 1536 --vocab 49152 --ctx 2048 --type q8_0 --tied --out smollm2-135m-q8_0.gguf
#include <CLI/CLI.hpp>
#include <cstdio>

#include "model_generator.h"

int main(int argc, char** argv) {
  edgenode::tools::ModelShape shape;
  std::string out;
  CLI::App app{"Write a GGUF model with deterministic random weights"};
  app.add_option("--arch", shape.arch, "llama | qwen2 | qwen3 | phi3 | gemma3")->capture_default_str();
  app.add_option("--name", shape.name, "general.name");
  app.add_option("--n-embd", shape.n_embd)->capture_default_str();
  app.add_option("--n-layer", shape.n_layer)->capture_default_str();
  app.add_option("--n-head", shape.n_head)->capture_default_str();
  app.add_option("--n-head-kv", shape.n_head_kv, "0: n_head")->capture_default_str();
  app.add_option("--head-dim", shape.head_dim, "0: n_embd / n_head")->capture_default_str();
  app.add_option("--n-ff", shape.n_ff, "0: 4 * n_embd")->capture_default_str();
  app.add_option("--vocab", shape.vocab)->capture_default_str();
  app.add_option("--ctx", shape.ctx)->capture_default_str();
  app.add_option("--type", shape.type,
                 "f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k q4_k_m")->capture_default_str();
  app.add_flag("--tied", shape.tied, "no output.weight (logits use token_embd)");
  app.add_option("--seed", shape.seed)->capture_default_str();
  app.add_option("--rope-base", shape.rope_base, "0: the architecture's usual value");
  app.add_option("--rms-eps", shape.rms_eps, "0: the architecture's usual value");
  app.add_option("--sliding-window", shape.sliding_window, "gemma3")->capture_default_str();
  app.add_option("--out", out, "output path")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto written = edgenode::tools::write_model(shape, out);
  if (!written) {
    std::fprintf(stderr, "edgenode-gen-model: %s\n", written.error().message.c_str());
    return written.error().kind == edgenode::ErrorKind::bad_input ? 2 : 1;
  }
  return 0;
}
