// The ADD driver (baseline, no intrinsics): the kernel inventory and its dispatch, the per-call constants of the
// split form (qint8/add.h), and the walk that cuts the output into runs for the kernels.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "ops/add-kernels.h"
#include "qint8/add.h"

namespace qint8 {
namespace {

std::vector<AddKernel> CompiledKernels() {
  std::vector<AddKernel> v;
  //          isa              name                               signed split  vadd                             vaddc
#if QINT8_HAVE_AVX2
  v.push_back({kIsaAvx2,       "qs8-vadd-x32-minmax-avx2",        true,  true,  qs8_vadd_x32_minmax_avx2,        qs8_vaddc_x32_minmax_avx2});
  v.push_back({kIsaAvx2,       "qu8-vadd-x32-minmax-avx2",        false, true,  qu8_vadd_x32_minmax_avx2,        qu8_vaddc_x32_minmax_avx2});
#endif
#if QINT8_HAVE_AVX512VNNI
  v.push_back({kIsaAvx512Vnni, "qs8-vadd-x64-minmax-avx512vnni",  true,  true,  qs8_vadd_x64_minmax_avx512vnni,  qs8_vaddc_x64_minmax_avx512vnni});
  v.push_back({kIsaAvx512Vnni, "qu8-vadd-x64-minmax-avx512vnni",  false, true,  qu8_vadd_x64_minmax_avx512vnni,  qu8_vaddc_x64_minmax_avx512vnni});
#endif
#if QINT8_HAVE_NEON
  v.push_back({kIsaNeon,       "qs8-vadd-x16-minmax-neon",        true,  false, qs8_vadd_x16_minmax_neon,        qs8_vaddc_x16_minmax_neon});
  v.push_back({kIsaNeon,       "qu8-vadd-x16-minmax-neon",        false, false, qu8_vadd_x16_minmax_neon,        qu8_vaddc_x16_minmax_neon});
#endif
  return v;
}

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
bool FitsInt32(int64_t v) { return v >= kInt32Min && v <= kInt32Max; }
int64_t FloorDivPow2(int64_t v, int32_t shift) { return v >> shift; }  // arithmetic shift: floor

// The split form of one input (AddSplitInput), or false when it is not exact for some code in [code_min, code_max].
bool MakeSplitInput(const AddInputParams& in, int32_t left_shift, int64_t code_min, int64_t code_max,
                    AddSplitInput* s) {
  if (in.multiplier < 0) return false;
  const int64_t m = in.multiplier;
  const int32_t r = in.shift < 0 ? -in.shift : 0;
  const int64_t l = static_cast<int64_t>(left_shift) + (in.shift > 0 ? in.shift : 0);
  const int64_t c_min = code_min + in.offset, c_max = code_max + in.offset;
  // c must read as the int16 pair (c, -[c < 0]), and c << L must not wrap (then the reference's shifts are exact).
  if (l > 30 || c_min < -32768 || c_max > 32767) return false;
  if (!FitsInt32(c_min * (int64_t{1} << l)) || !FitsInt32(c_max * (int64_t{1} << l))) return false;
  const int64_t k = (int64_t{1} << 30) + (r > 0 ? int64_t{1} << (30 + r) : 0);
  const int64_t sign = r > 0 ? (int64_t{1} << 31) >> l : 0;
  const int64_t round = k >> l;
  const int32_t t = static_cast<int32_t>(31 + r - l);
  const int32_t t0 = std::min(t, 15);
  const int64_t low = m & ((int64_t{1} << t0) - 1), high = m >> t0;
  if (sign > 32767 || !FitsInt32(round)) return false;
  // inner and floor(inner / 2^T0) + c * high are monotone in c on each side of zero: check the ends of both sides.
  const int64_t ends[4] = {c_min, std::min<int64_t>(c_max, -1), std::max<int64_t>(c_min, 0), c_max};
  for (int64_t c : ends) {
    if (c < c_min || c > c_max) continue;
    const int64_t inner = c * low + round - (c < 0 ? sign : 0);
    if (!FitsInt32(inner) || !FitsInt32(FloorDivPow2(inner, t0) + c * high)) return false;
  }
  s->offset = in.offset;
  s->low_sign = static_cast<int32_t>(static_cast<uint32_t>(low) | (static_cast<uint32_t>(sign) << 16));
  s->round = static_cast<int32_t>(round);
  s->high = static_cast<int32_t>(high);
  s->inner_shift = t0;
  s->outer_shift = std::min(t - t0, 31);
  return true;
}

// The high-dword form of the output requantization (AddOutputHigh); false when it is not exact for every sum of
// magnitude up to max_abs_sum.
bool MakeOutputHigh(const AddOutputParams& o, int64_t max_abs_sum, AddOutputHigh* h) {
  const int64_t m = o.multiplier;
  const int32_t r = o.shift < 0 ? -o.shift : 0;
  const int64_t k = (int64_t{1} << 30) + (r > 0 ? int64_t{1} << (30 + r) : 0);
  h->multiplier2 = static_cast<uint32_t>(2 * m);
  h->round2 = static_cast<uint64_t>(2 * k);
  h->fix = static_cast<uint32_t>(2 * m + (r > 0 ? 1 : 0));
  h->left = o.shift > 0 ? o.shift : 0;
  h->right = r;
  // |sum| * M + K + 2^31 < 2^62 (then |2v| < 2^63); shift >= 0 needs nothing (|p| < 2^62).
  const int64_t limit = (int64_t{1} << 62) - k - (int64_t{1} << 31) - 1;
  h->max_abs_sum = r == 0 || m == 0 ? int64_t{1} << 31 : std::min<int64_t>(limit / m, int64_t{1} << 31);
  return max_abs_sum <= h->max_abs_sum;
}

// The largest |sum| of two scaled codes: each input's scaled value is monotone in its code (M >= 0, no wrap: the
// split forms' conditions), so the sums lie between the sums of the ends; a sum that could wrap bounds nothing.
int64_t SumBound(const AddRunParams& p, int64_t code_min, int64_t code_max) {
  const int32_t q_lo = static_cast<int32_t>(code_min), q_hi = static_cast<int32_t>(code_max);
  const int64_t s_lo = int64_t{AddScaledInput(q_lo, p.a, p.left_shift)} + AddScaledInput(q_lo, p.b, p.left_shift);
  const int64_t s_hi = int64_t{AddScaledInput(q_hi, p.a, p.left_shift)} + AddScaledInput(q_hi, p.b, p.left_shift);
  if (!FitsInt32(s_lo) || !FitsInt32(s_hi)) return int64_t{1} << 31;
  return std::max(std::abs(s_lo), std::abs(s_hi));
}

// The walk of the output: runs of `run` elements in which each input is contiguous (step 1) or one value (step 0),
// at the offsets of an odometer over the remaining (outer) dimensions.
struct RunPlan {
  int64_t run = 0;
  int32_t step_a = 0, step_b = 0;
  int outer_rank = 0;  // outer dimensions, outermost first
  int64_t shape[kAddRank] = {}, stride_a[kAddRank] = {}, stride_b[kAddRank] = {};
};

// False when the output has no runs of kAddMinRun elements (an empty output included: the reference returns).
bool PlanRuns(const int32_t* g, RunPlan* plan) {
  int dims[kAddRank];
  int rank = 0;
  for (int d = 0; d < kAddRank; ++d) {
    const int64_t size = g[add_field::kOutputShape + d];
    if (size == 0) return false;
    if (size != 1) dims[rank++] = d;
  }
  if (rank == 0) return false;
  int i = rank - 1;
  const int inner = dims[i];
  const int64_t step_a = g[add_field::kStridesA + inner], step_b = g[add_field::kStridesB + inner];
  if (step_a < 0 || step_a > 1 || step_b < 0 || step_b > 1 || step_a + step_b == 0) return false;
  int64_t run = g[add_field::kOutputShape + inner];
  for (--i; i >= 0; --i) {  // merge outer dimensions that continue the run in both inputs
    const int d = dims[i];
    if (g[add_field::kStridesA + d] != step_a * run || g[add_field::kStridesB + d] != step_b * run) break;
    run *= g[add_field::kOutputShape + d];
  }
  if (run < kAddMinRun) return false;
  plan->run = run;
  plan->step_a = static_cast<int32_t>(step_a);
  plan->step_b = static_cast<int32_t>(step_b);
  plan->outer_rank = i + 1;
  for (int o = 0; o <= i; ++o) {
    plan->shape[o] = g[add_field::kOutputShape + dims[o]];
    plan->stride_a[o] = g[add_field::kStridesA + dims[o]];
    plan->stride_b[o] = g[add_field::kStridesB + dims[o]];
  }
  return true;
}

}  // namespace

void PrepareAddRun(const int32_t* g, bool is_signed, AddRunParams* p) {
  using namespace add_field;
  p->is_signed = is_signed;
  p->left_shift = g[kLeftShift];
  p->a = AddInputParams{g[kInputOffsetA], g[kMultiplierA], g[kShiftA]};
  p->b = AddInputParams{g[kInputOffsetB], g[kMultiplierB], g[kShiftB]};
  AddOutputParams& o = p->out;
  o.multiplier = g[kOutputMultiplier];
  o.shift = g[kOutputShift];
  o.zero_point = g[kOutputOffset];
  o.act_min = g[kActivationMin];
  o.act_max = g[kActivationMax];
  o.clamp_lo = static_cast<int32_t>(std::max<int64_t>(static_cast<int64_t>(o.act_min) - o.zero_point, kInt32Min));
  o.clamp_hi = static_cast<int32_t>(std::min<int64_t>(static_cast<int64_t>(o.act_max) - o.zero_point, kInt32Max));

  const int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  const bool narrow = o.act_min >= lo && o.act_max <= hi && o.act_min <= o.act_max &&
                      o.zero_point >= hi - 32766 && o.zero_point <= lo + 32767;
  p->split_form_exact = narrow && o.multiplier >= 0 && MakeSplitInput(p->a, p->left_shift, lo, hi, &p->split_a) &&
                        MakeSplitInput(p->b, p->left_shift, lo, hi, &p->split_b) &&
                        MakeOutputHigh(o, SumBound(*p, lo, hi), &p->out_high);
}

const std::vector<AddKernel>& AddKernels() {
  static const std::vector<AddKernel> kernels = CompiledKernels();
  return kernels;
}

const AddKernel* AddKernelFor(Isa isa, bool is_signed) {
  for (Isa candidate = isa; candidate != kIsaScalar; candidate = FallbackIsaOf(candidate)) {
    for (const AddKernel& k : AddKernels()) {
      if (k.isa == candidate && k.is_signed == is_signed) return &k;
    }
  }
  return nullptr;
}

namespace {

// Chooses the kernel, the runs and the constants of a fast call; false when the reference must run.
bool PlanFast(ByteTensor a, ByteTensor b, const int32_t* geometry, Isa isa, const AddKernel** kernel, RunPlan* plan,
              AddRunParams* params) {
  // The kernels clamp with max then min, which is the reference's clamp for an ordered range only.
  if (a.is_signed != b.is_signed) return false;
  if (geometry[add_field::kActivationMin] > geometry[add_field::kActivationMax]) return false;
  *kernel = AddKernelFor(isa, a.is_signed);
  if (*kernel == nullptr || !PlanRuns(geometry, plan)) return false;
  PrepareAddRun(geometry, a.is_signed, params);
  return !(*kernel)->needs_split_form || params->split_form_exact;
}

}  // namespace

const AddKernel* AddFastKernel(ByteTensor a, ByteTensor b, const int32_t* geometry, Isa isa) {
  const AddKernel* kernel = nullptr;
  RunPlan plan;
  AddRunParams params;
  return PlanFast(a, b, geometry, isa, &kernel, &plan, &params) ? kernel : nullptr;
}

void Add(ByteTensor a, ByteTensor b, const int32_t* geometry, uint8_t* out, Isa isa) {
  const AddKernel* kernel = nullptr;
  RunPlan plan;
  AddRunParams params;
  if (!PlanFast(a, b, geometry, isa, &kernel, &plan, &params)) {
    Add(a, b, geometry, out);
    return;
  }
  // A run broadcasting its first input runs vaddc on the second with the inputs' parameters swapped.
  AddRunParams swapped = params;
  std::swap(swapped.a, swapped.b);
  std::swap(swapped.split_a, swapped.split_b);
  const size_t run = static_cast<size_t>(plan.run);
  int64_t index[kAddRank] = {0, 0, 0, 0, 0, 0};
  int64_t offset_a = 0, offset_b = 0;
  for (uint8_t* dst = out;; dst += run) {
    const uint8_t* pa = a.data + offset_a;
    const uint8_t* pb = b.data + offset_b;
    if (plan.step_a == 1 && plan.step_b == 1) {
      kernel->vadd(run, pa, pb, dst, params);
    } else if (plan.step_a == 1) {
      kernel->vaddc(run, pa, AddScaledInput(b.at(static_cast<size_t>(offset_b)), params.b, params.left_shift), dst,
                    params);
    } else {
      kernel->vaddc(run, pb, AddScaledInput(a.at(static_cast<size_t>(offset_a)), params.a, params.left_shift), dst,
                    swapped);
    }
    int d = plan.outer_rank - 1;
    for (; d >= 0; --d) {  // the odometer over the outer dimensions
      offset_a += plan.stride_a[d];
      offset_b += plan.stride_b[d];
      if (++index[d] < plan.shape[d]) break;
      offset_a -= plan.stride_a[d] * plan.shape[d];
      offset_b -= plan.stride_b[d] * plan.shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace qint8
