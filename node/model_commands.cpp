// `edgenode model info|tokenize|detokenize|logits|generate|chat|bench`: the engine from the
// command line. Output shapes are a contract scripts rely on (see the README); errors are one
// line on stderr with exit code 2 for bad input, 1 for internal failures.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/model/model_info.h"
#include "engine/tokenizer/tokenizer.h"
#include "node/model_cli.h"

namespace edgenode::node {

namespace {

using engine::LoadOptions;
using engine::Model;
using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<std::string> read_file_or_stdin(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot read " + path);
  out << in.rdbuf();
  return out.str();
}

// Token ids separated by spaces and/or commas: "1 2 3", "1,2,3".
Result<std::vector<int32_t>> parse_token_list(std::string text) {
  std::replace(text.begin(), text.end(), ',', ' ');
  std::vector<int32_t> ids;
  std::istringstream in(text);
  for (std::string number; in >> number;) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(number.c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || value < 0 || value > INT32_MAX)
      return bad_input("bad token id '" + number + "' in --tokens");
    ids.push_back(static_cast<int32_t>(value));
  }
  if (ids.empty()) return bad_input("--tokens holds no token ids");
  return ids;
}

// Options shared by the commands that run the model.
struct RunOptions {
  std::string path;
  std::string weights = "q8_0";
  int threads = 0;
  bool json = false;

  void add_to(CLI::App& cmd, bool with_weights) {
    cmd.add_option("model", path, "GGUF model file")->required();
    if (with_weights) {
      cmd.add_option("--weights", weights, "how matrices run: q8_0 (default) or f32 (exactness checks)")
          ->check(CLI::IsMember({"q8_0", "f32"}));
      cmd.add_option("--threads", threads, "worker threads (0: all cores)")->check(CLI::Range(0, 1024));
    }
    cmd.add_flag("--json", json, "print JSON");
  }
  LoadOptions load(bool vocab_only) const {
    LoadOptions o;
    o.path = path;
    o.threads = threads;
    o.weights = weights == "f32" ? engine::WeightMode::f32 : engine::WeightMode::q8_0;
    o.vocab_only = vocab_only;
    return o;
  }
};

void add_info(CLI::App& model, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = model.add_subcommand("info", "architecture, hyper-parameters, tensors, tokenizer");
  opts->add_to(*cmd, true);
  cmd->callback([opts, &exit_code] {
    auto m = load_model_or_report(opts->load(false), exit_code);
    if (!m) return;
    const engine::ModelInfo& info = m->info();
    json j = {{"path", info.path},
              {"architecture", info.architecture},
              {"name", info.name},
              {"file_size", info.file_size},
              {"gguf_version", info.gguf_version},
              {"vocab_only", info.vocab_only},
              {"tensor_count", info.tensor_count},
              {"tensor_types", info.tensor_types},
              {"tokenizer", info.tokenizer_kind},
              {"vocab_size", info.vocab_size},
              {"chat_template", info.has_chat_template}};
    if (!info.vocab_only) {
      json hp = json::object();
      for (const auto& [k, v] : info.hparams) hp[k] = v;
      j["hparams"] = hp;
      j["context_length"] = info.context_length;
      j["weights"] = info.weights;
      j["weight_bytes_per_token"] = info.weight_bytes_per_token;
      j["threads"] = info.threads;
      if (!info.precision_note.empty()) j["precision_note"] = info.precision_note;
    }
    if (opts->json) {
      std::printf("%s\n", dump(j).c_str());
      return;
    }
    std::printf("file          %s (%llu bytes, GGUF v%u)\n", info.path.c_str(),
                static_cast<unsigned long long>(info.file_size), info.gguf_version);
    std::printf("architecture  %s%s\n", info.architecture.c_str(), info.vocab_only ? " (vocab only)" : "");
    if (!info.name.empty()) std::printf("name          %s\n", info.name.c_str());
    for (const auto& [k, v] : info.hparams) std::printf("  %-30s %s\n", k.c_str(), v.c_str());
    std::string types;
    for (const auto& [t, n] : info.tensor_types) types += (types.empty() ? "" : ", ") + t + " x" + std::to_string(n);
    std::printf("tensors       %zu (%s)\n", info.tensor_count, types.c_str());
    std::printf("tokenizer     %s, %d tokens%s\n", info.tokenizer_kind.c_str(), info.vocab_size,
                info.has_chat_template ? ", chat template" : "");
    if (!info.vocab_only) {
      std::printf("weights       %s, %.1f MB read per token, context %d, %d threads\n", info.weights.c_str(),
                  info.weight_bytes_per_token / 1e6, info.context_length, info.threads);
      if (!info.precision_note.empty()) std::printf("precision     %s\n", info.precision_note.c_str());
    }
  });
}

void add_tokenize(CLI::App& model, int& exit_code) {
  struct Opts : RunOptions {
    std::string text, text_file;
    bool no_bos = false, special = false;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("tokenize", "text -> token ids");
  opts->add_to(*cmd, false);
  auto* text = cmd->add_option("--text", opts->text, "text to tokenize");
  auto* file = cmd->add_option("--text-file", opts->text_file, "file to tokenize ('-' for stdin)");
  text->excludes(file);
  cmd->add_flag("--no-bos", opts->no_bos, "do not prepend BOS");
  cmd->add_flag("--special", opts->special, "text spelling a special token becomes that token");
  cmd->callback([opts, text, file, &exit_code] {
    if (text->count() == 0 && file->count() == 0) {
      exit_code = report_error(bad_input("tokenize needs --text or --text-file"));
      return;
    }
    std::string input = opts->text;
    if (file->count()) {
      auto read = read_file_or_stdin(opts->text_file);
      if (!read) {
        exit_code = report_error(read.error());
        return;
      }
      input = std::move(*read);
    }
    auto m = load_model_or_report(opts->load(true), exit_code);
    if (!m) return;
    const auto& tok = m->tokenizer();
    const auto ids = tok.encode(input, !opts->no_bos && tok.add_bos_default(), opts->special);
    if (opts->json) {
      std::printf("%s\n", dump(json{{"tokens", ids}}).c_str());
      return;
    }
    for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
    std::printf("\n");
  });
}

void add_detokenize(CLI::App& model, int& exit_code) {
  struct Opts : RunOptions {
    std::string tokens;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("detokenize", "token ids -> text");
  opts->add_to(*cmd, false);
  cmd->add_option("--tokens", opts->tokens, "token ids, e.g. \"1 2 3\"")->required();
  cmd->callback([opts, &exit_code] {
    auto ids = parse_token_list(opts->tokens);
    if (!ids) {
      exit_code = report_error(ids.error());
      return;
    }
    auto m = load_model_or_report(opts->load(true), exit_code);
    if (!m) return;
    for (int32_t id : *ids)
      if (id >= m->tokenizer().n_vocab()) {
        exit_code = report_error(bad_input("token id " + std::to_string(id) + " out of range (vocabulary of " +
                                           std::to_string(m->tokenizer().n_vocab()) + ")"));
        return;
      }
    const std::string text = m->tokenizer().decode(*ids);
    if (opts->json)
      std::printf("%s\n", dump(json{{"text", text}}).c_str());
    else
      std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

// The top k [id, logit] pairs, highest first, ties to the lower id.
json top_logits(const float* logits, int n_vocab, int k) {
  std::vector<int32_t> ids(n_vocab);
  for (int i = 0; i < n_vocab; ++i) ids[i] = i;
  k = std::min(k, n_vocab);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  json top = json::array();
  for (int i = 0; i < k; ++i) top.push_back(json::array({ids[i], logits[ids[i]]}));
  return top;
}

json logits_entry(const float* logits, int n_vocab, int top) {
  if (top > 0) return json{{"top", top_logits(logits, n_vocab, top)}};
  return json{{"logits", std::vector<float>(logits, logits + n_vocab)}};
}

void add_logits(CLI::App& model, int& exit_code) {
  struct Opts : RunOptions {
    std::string prompt, tokens;
    bool no_bos = false, all_positions = false;
    int top = 0;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("logits", "logits of a prompt (last position or all)");
  opts->add_to(*cmd, true);
  auto* prompt = cmd->add_option("--prompt", opts->prompt, "prompt text");
  auto* tokens = cmd->add_option("--tokens", opts->tokens, "prompt token ids, e.g. \"1 2 3\"");
  prompt->excludes(tokens);
  cmd->add_flag("--no-bos", opts->no_bos, "do not prepend BOS");
  cmd->add_option("--top", opts->top, "only the K highest logits")->check(CLI::Range(1, 1 << 24));
  cmd->add_flag("--all-positions", opts->all_positions, "logits at every prompt position");
  cmd->callback([opts, prompt, tokens, &exit_code] {
    if (prompt->count() == 0 && tokens->count() == 0) {
      exit_code = report_error(bad_input("logits needs --prompt or --tokens"));
      return;
    }
    std::vector<int32_t> ids;
    if (tokens->count()) {
      auto parsed = parse_token_list(opts->tokens);
      if (!parsed) {
        exit_code = report_error(parsed.error());
        return;
      }
      ids = std::move(*parsed);
    }
    auto m = load_model_or_report(opts->load(false), exit_code);
    if (!m) return;
    if (prompt->count()) {
      const auto& tok = m->tokenizer();
      ids = tok.encode(opts->prompt, !opts->no_bos && tok.add_bos_default(), true);
    }
    auto logits = m->evaluate(ids, 0, opts->all_positions);
    if (!logits) {
      exit_code = report_error(logits.error());
      return;
    }
    const int n_vocab = static_cast<int>(logits->size() / (opts->all_positions ? ids.size() : 1));
    json out = {{"tokens", ids}};
    if (opts->all_positions) {
      json positions = json::array();
      for (size_t t = 0; t < ids.size(); ++t)
        positions.push_back(logits_entry(logits->data() + t * n_vocab, n_vocab, opts->top));
      out["positions"] = std::move(positions);
    } else {
      out.update(logits_entry(logits->data(), n_vocab, opts->top));
    }
    if (opts->json) {
      std::printf("%s\n", dump(out).c_str());
      return;
    }
    // Plain output: one position per block, "id logit" lines (all ids without --top).
    const size_t n_positions = opts->all_positions ? ids.size() : 1;
    for (size_t p = 0; p < n_positions; ++p) {
      if (opts->all_positions) std::printf("# position %zu\n", p);
      const float* row = logits->data() + p * n_vocab;
      if (opts->top > 0) {
        for (const auto& pair : top_logits(row, n_vocab, opts->top))
          std::printf("%d %.9g\n", pair[0].get<int>(), pair[1].get<float>());
      } else {
        for (int i = 0; i < n_vocab; ++i) std::printf("%d %.9g\n", i, row[i]);
      }
    }
  });
}

// Sampling and stopping flags shared by generate and chat.
struct GenerationFlags {
  int max_tokens = 64;
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f, min_p = 0.0f, repeat_penalty = 1.0f;
  uint64_t seed = 0;
  bool no_stop = false;
  std::vector<std::string> stop;
  std::string json_schema;

  void add_to(CLI::App& cmd) {
    cmd.add_option("-n", max_tokens, "tokens to generate")->check(CLI::Range(0, 1 << 20));
    cmd.add_option("--temp", temperature, "temperature (0: greedy)")->check(CLI::Range(0.0f, 100.0f));
    cmd.add_option("--top-k", top_k, "keep the k most likely tokens (0: off)")->check(CLI::Range(0, 1 << 24));
    cmd.add_option("--top-p", top_p, "nucleus sampling mass (1: off)")->check(CLI::Range(0.0f, 1.0f));
    cmd.add_option("--min-p", min_p, "drop tokens below min-p times the top probability")->check(CLI::Range(0.0f, 1.0f));
    cmd.add_option("--repeat-penalty", repeat_penalty, "penalty on recent tokens (1: off)")->check(CLI::Range(0.0f, 100.0f));
    cmd.add_option("--seed", seed, "RNG seed");
    cmd.add_flag("--no-stop", no_stop, "do not stop at end-of-generation tokens");
    cmd.add_option("--stop", stop, "stop string (repeatable; not included in the output)");
    cmd.add_option("--json-schema", json_schema, "constrain the output to a JSON Schema (file or inline JSON)");
  }

  Result<engine::GenerateRequest> request() const {
    engine::GenerateRequest r;
    r.max_tokens = max_tokens;
    r.sampling.temperature = temperature;
    r.sampling.top_k = top_k;
    r.sampling.top_p = top_p;
    r.sampling.min_p = min_p;
    r.sampling.repeat_penalty = repeat_penalty;
    r.sampling.seed = seed;
    r.stop_at_eog = !no_stop;
    r.stop = stop;
    if (!json_schema.empty()) {
      std::string text = json_schema;
      if (text.front() != '{') {
        auto read = read_file_or_stdin(json_schema);
        if (!read) return read.error();
        text = std::move(*read);
      }
      if (!json::accept(text)) return bad_input("--json-schema is not valid JSON");
      r.json_schema = text;
    }
    return r;
  }
};

// Generates, streaming text to stdout unless JSON output is asked for.
void run_generation(Model& m, engine::GenerateRequest request, bool as_json, int& exit_code) {
  engine::PieceCallback stream;
  if (!as_json)
    stream = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  auto result = m.generate(request, stream);
  if (!result) {
    exit_code = report_error(result.error());
    return;
  }
  if (as_json)
    std::printf("%s\n", dump(json{{"tokens", result->tokens},
                                  {"text", result->text},
                                  {"stop_reason", result->stop_reason},
                                  {"prompt_tokens", result->prompt_tokens.size()}})
                            .c_str());
  else
    std::printf("\n");
}

void add_generate(CLI::App& model, int& exit_code) {
  struct Opts : RunOptions {
    std::string prompt;
    bool no_bos = false;
    GenerationFlags gen;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("generate", "continue a prompt");
  opts->add_to(*cmd, true);
  cmd->add_option("--prompt", opts->prompt, "prompt text")->required();
  cmd->add_flag("--no-bos", opts->no_bos, "do not prepend BOS");
  opts->gen.add_to(*cmd);
  cmd->callback([opts, &exit_code] {
    auto request = opts->gen.request();
    if (!request) {
      exit_code = report_error(request.error());
      return;
    }
    request->prompt = opts->prompt;
    request->add_bos = !opts->no_bos;
    auto m = load_model_or_report(opts->load(false), exit_code);
    if (!m) return;
    run_generation(*m, std::move(*request), opts->json, exit_code);
  });
}

Result<std::vector<engine::ChatMessage>> parse_messages(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return bad_input("messages must be a JSON array of {role, content}");
  std::vector<engine::ChatMessage> out;
  for (const json& m : j) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      return bad_input("each message needs string fields role and content");
    out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  return out;
}

void add_chat(CLI::App& model, int& exit_code) {
  struct Opts : RunOptions {
    std::string messages, messages_file, system, user;
    bool no_generation_prompt = false, render_only = false;
    GenerationFlags gen;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("chat", "render messages through the chat template and answer");
  opts->add_to(*cmd, true);
  auto* messages = cmd->add_option("--messages", opts->messages, "JSON array of {role, content}");
  auto* messages_file = cmd->add_option("--messages-file", opts->messages_file, "file with the messages ('-': stdin)");
  auto* system = cmd->add_option("--system", opts->system, "system message");
  auto* user = cmd->add_option("--user", opts->user, "user message");
  messages->excludes(messages_file)->excludes(system)->excludes(user);
  messages_file->excludes(system)->excludes(user);
  cmd->add_flag("--no-generation-prompt", opts->no_generation_prompt, "do not open an assistant turn");
  cmd->add_flag("--render-only", opts->render_only, "print the rendered prompt, do not generate");
  opts->gen.add_to(*cmd);
  cmd->callback([opts, messages, messages_file, system, user, &exit_code] {
    std::vector<engine::ChatMessage> list;
    if (messages->count() || messages_file->count()) {
      std::string text = opts->messages;
      if (messages_file->count()) {
        auto read = read_file_or_stdin(opts->messages_file);
        if (!read) {
          exit_code = report_error(read.error());
          return;
        }
        text = std::move(*read);
      }
      auto parsed = parse_messages(text);
      if (!parsed) {
        exit_code = report_error(parsed.error());
        return;
      }
      list = std::move(*parsed);
    } else if (user->count()) {
      if (system->count()) list.push_back({"system", opts->system});
      list.push_back({"user", opts->user});
    } else {
      exit_code = report_error(bad_input("chat needs --messages, --messages-file or --user"));
      return;
    }
    auto request = opts->gen.request();
    if (!request) {
      exit_code = report_error(request.error());
      return;
    }
    auto m = load_model_or_report(opts->load(opts->render_only), exit_code);
    if (!m) return;
    auto prompt = m->render_chat(list, !opts->no_generation_prompt);
    if (!prompt) {
      exit_code = report_error(prompt.error());
      return;
    }
    if (opts->render_only) {
      if (opts->json)
        std::printf("%s\n", dump(json{{"prompt", *prompt}}).c_str());
      else
        std::fwrite(prompt->data(), 1, prompt->size(), stdout);
      return;
    }
    // Templates that write BOS themselves (llama3, gemma3) must not get a second one.
    const std::string bos = m->tokenizer().bos_text();
    request->add_bos = bos.empty() || prompt->compare(0, bos.size(), bos) != 0;
    request->prompt = std::move(*prompt);
    run_generation(*m, std::move(*request), opts->json, exit_code);
  });
}

void add_model_commands(CLI::App& app, int& exit_code) {
  CLI::App* model = app.add_subcommand("model", "inspect and run a GGUF model");
  model->require_subcommand(1);
  // These commands print results for scripts: only warnings and errors go to stderr unless
  // asked; -v may come anywhere after `model`.
  model->preparse_callback([](size_t) { spdlog::set_level(spdlog::level::warn); });
  model->add_flag_callback("-v,--verbose", [] { spdlog::set_level(spdlog::level::info); }, "log loading details");
  model->fallthrough();
  add_info(*model, exit_code);
  add_tokenize(*model, exit_code);
  add_detokenize(*model, exit_code);
  add_logits(*model, exit_code);
  add_generate(*model, exit_code);
  add_chat(*model, exit_code);
  add_model_bench_command(*model, exit_code);
}

const CommandRegistrar reg{add_model_commands};

}  // namespace

std::unique_ptr<engine::Model> load_model_or_report(const engine::LoadOptions& options, int& exit_code) {
  auto model = engine::Model::load(options);
  if (!model) {
    exit_code = report_error(model.error());
    return nullptr;
  }
  return std::move(*model);
}

}  // namespace edgenode::node
