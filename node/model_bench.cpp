// `edgenode model bench`: prompt processing and generation speed, and how close generation
// comes to the memory-bandwidth bound (every decode step reads every weight matrix once).
#include <algorithm>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/model/model_info.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/kernels.h"
#include "node/model_cli.h"

namespace edgenode::node {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct BenchRun {
  double pp_tps;
  double tg_tps;
  double bandwidth_gbs;  // the machine's read bandwidth around the tg run
};

// Two runs through the same path a pipeline uses, measured as llama-bench measures them: pp
// the prompt evaluated in one batch; tg n single-token decode steps from an empty context (a
// one-token prompt, then greedy steps that never stop early), so the steps read the weights
// and hardly any KV cache, which the bound does not count.
//
// The bandwidth is measured right before and right after the tg run, and the higher of the
// two (the stricter bound) is the run's: a virtual machine's cores may get another share of
// the memory bandwidth from one minute to the next (seen here: 55 or 95 GB/s for two
// threads), and a bound measured at another moment than the run judges it against the wrong
// machine.
Result<BenchRun> run_once(engine::Model& m, const std::vector<int32_t>& prompt, int n_gen, int threads) {
  engine::GenerateRequest pp;
  pp.tokens = prompt;
  pp.max_tokens = 1;
  pp.stop_at_eog = false;
  auto prompt_run = m.generate(pp);
  if (!prompt_run) return prompt_run.error();
  engine::GenerateRequest tg;
  tg.tokens = {prompt.back()};
  tg.max_tokens = n_gen + 1;  // the last sampled token is not fed back: n_gen decode steps
  tg.stop_at_eog = false;
  const double bandwidth_before = kernels::measure_read_bandwidth_gbs(threads);
  auto generation = m.generate(tg);
  if (!generation) return generation.error();
  const double bandwidth_after = kernels::measure_read_bandwidth_gbs(threads);
  return BenchRun{prompt.size() / (prompt_run->prompt_ms / 1e3), n_gen / (generation->generate_ms / 1e3),
                  std::max(bandwidth_before, bandwidth_after)};
}

}  // namespace

void add_model_bench_command(CLI::App& model, int& exit_code) {
  struct Opts {
    std::string path;
    int n_prompt = 128, n_gen = 64, threads = 0, repetitions = 3;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  CLI::App* cmd = model.add_subcommand("bench", "prompt and generation speed against the bandwidth bound");
  cmd->add_option("model", opts->path, "GGUF model file")->required();
  cmd->add_option("-p", opts->n_prompt, "prompt tokens")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("-n", opts->n_gen, "generated tokens")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("-t", opts->threads, "threads (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("-r", opts->repetitions, "measured runs (after one warm-up)")->check(CLI::Range(1, 100));
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->callback([opts, &exit_code] {
    engine::LoadOptions load;
    load.path = opts->path;
    load.threads = opts->threads;
    auto m = load_model_or_report(load, exit_code);
    if (!m) return;
    if (std::max(opts->n_prompt, opts->n_gen + 1) > m->context_length()) {
      exit_code = report_error(bad_input("-p and -n must each fit the context of " + std::to_string(m->context_length())));
      return;
    }
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int32_t> pick(0, m->tokenizer().n_vocab() - 1);
    std::vector<int32_t> prompt(opts->n_prompt);

    const engine::ModelInfo& info = m->info();
    const double bytes_per_token = static_cast<double>(info.weight_bytes_per_token);
    std::vector<double> pp, tg, bandwidth, bound, fraction;
    for (int r = 0; r <= opts->repetitions; ++r) {
      // A new prompt every run, not starting with the token the cache starts with now (the
      // previous run's generation started from the previous prompt's last token): the model
      // reuses the KV cache of a prompt prefix it has seen, which would leave nothing to
      // measure.
      const int32_t previous_first = r == 0 ? -1 : prompt.back();
      for (int32_t& id : prompt) id = pick(rng);
      if (prompt[0] == previous_first) prompt[0] = (prompt[0] + 1) % m->tokenizer().n_vocab();
      auto run = run_once(*m, prompt, opts->n_gen, info.threads);
      if (!run) {
        exit_code = report_error(run.error());
        return;
      }
      if (r == 0) continue;  // warm-up: page in the weights, settle the clocks
      pp.push_back(run->pp_tps);
      tg.push_back(run->tg_tps);
      bandwidth.push_back(run->bandwidth_gbs);
      bound.push_back(run->bandwidth_gbs * 1e9 / bytes_per_token);
      fraction.push_back(run->tg_tps / bound.back());
    }
    const double pp_tps = median(pp), tg_tps = median(tg), bandwidth_gbs = median(bandwidth);
    const double bound_tps = median(bound), roofline_fraction = median(fraction);
    nlohmann::json j = {{"pp_tps", pp_tps},
                        {"tg_tps", tg_tps},
                        {"bandwidth_gbs", bandwidth_gbs},
                        {"tg_roofline_fraction", roofline_fraction},
                        {"tg_bound_tps", bound_tps},
                        {"weight_bytes_per_token", info.weight_bytes_per_token},
                        {"n_prompt", opts->n_prompt},
                        {"n_gen", opts->n_gen},
                        {"threads", info.threads},
                        {"repetitions", opts->repetitions}};
    if (opts->json) {
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("| threads | pp%d t/s | tg%d t/s | bandwidth GB/s | tg bound t/s | tg / bound |\n", opts->n_prompt,
                opts->n_gen);
    std::printf("|---|---|---|---|---|---|\n");
    std::printf("| %d | %.1f | %.1f | %.2f | %.1f | %.0f %% |\n", info.threads, pp_tps, tg_tps, bandwidth_gbs, bound_tps,
                100.0 * roofline_fraction);
  });
}

}  // namespace edgenode::node
