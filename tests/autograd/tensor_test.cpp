#include "autograd/tensor.h"

#include <gtest/gtest.h>

#include "autograd/api.h"

namespace aime {
namespace {

TEST(Tensor, CreationValuesShapesAndDtypes) {
  EXPECT_EQ(zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(ones({2}, kFloat64).to_vector<double>(), (std::vector<double>{1, 1}));
  EXPECT_EQ(full({2, 2}, 2.5).to_vector<float>(), std::vector<float>(4, 2.5f));
  EXPECT_EQ(arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1.0, 2.0, 0.25, kFloat64).to_vector<double>(), (std::vector<double>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(arange(3.0, 0.0, -1.0).to_vector<float>(), (std::vector<float>{3, 2, 1}));
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t.device(), Device::cpu());
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_DOUBLE_EQ(scalar_tensor(3.5, kFloat64).item(), 3.5);
  EXPECT_EQ(scalar_tensor(1.0).dim(), 0);
  EXPECT_THROW(tensor({1, 2, 3}, {2, 2}), ShapeError);
  EXPECT_THROW(zeros({2, -1}), ValueError);
  EXPECT_THROW(arange(0.0, 1.0, 0.0), ValueError);
}

TEST(Tensor, ViewsShareStorageAndCopiesDoNot) {
  Tensor a = arange(0.0, 6.0, 1.0).reshape({2, 3});
  Tensor t = a.t();
  EXPECT_TRUE(t.shares_storage_with(a));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.strides(), (Shape{1, 3}));
  Tensor c = t.contiguous();
  EXPECT_FALSE(c.shares_storage_with(a));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  // Writing through a view changes the base.
  a.narrow(1, 1, 1).fill_(9.0);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 9, 2, 3, 9, 5}));
  Tensor cl = a.clone();
  cl.fill_(0.0);
  EXPECT_EQ(a.to_vector<float>()[1], 9.0f);
}

TEST(Tensor, DtypeConversionRoundsLikeCasts) {
  Tensor x = tensor({-1.5, 0.25, 2.75, 300.0});
  EXPECT_EQ(x.to(kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 0, 2, 300}));
  EXPECT_EQ(x.to(kFloat64).dtype(), kFloat64);
  EXPECT_EQ(tensor({3, 200}).to(kUInt8).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{3, 200}));
  EXPECT_THROW(zeros({2}).data<double>(), DTypeError);
  EXPECT_THROW(zeros({2}, kInt64).requires_grad_(), DTypeError);
}

TEST(Tensor, InPlaceOpsUpdateAndRefuseLeavesUnderGrad) {
  Tensor x = ones({3});
  x.add_(tensor({1, 2, 3}), 2.0);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{3, 5, 7}));
  x.mul_(0.5);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1.5, 2.5, 3.5}));
  x.copy_(scalar_tensor(4.0));
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{4, 4, 4}));
  Tensor w = ones({2}).requires_grad_();
  EXPECT_THROW(w.add_(ones({2})), AutogradError);
  {
    NoGradGuard no_grad;
    w.add_(ones({2}), -0.1);  // an optimiser step
  }
  EXPECT_FLOAT_EQ(w.to_vector<float>()[0], 0.9f);
}

TEST(Tensor, ItemNeedsOneElementAndUndefinedTensorsSayWhat) {
  EXPECT_THROW(zeros({2}).item(), ValueError);
  try {
    Tensor().shape();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("undefined"), std::string::npos);
  }
}

TEST(Tensor, CudaDeviceWithoutBackendGivesAClearError) {
  if (has_backend(Device::Kind::CUDA)) GTEST_SKIP() << "CUDA backend present";
  try {
    zeros({2}).to(Device::cuda());
    FAIL();
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("AIME_CUDA"), std::string::npos);
  }
}

TEST(Device, ParsesWhatStrWrites) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3"), Device::cuda(3));
  EXPECT_EQ(Device::parse(Device::cuda(2).str()), Device::cuda(2));
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "CPU", "cuda:-1"}) {
    try {
      Device::parse(bad);
      ADD_FAILURE() << bad;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Tensor, SetDataRebindsTheSameLeaf) {
  Tensor w = ones({2, 2}).requires_grad_();
  const Tensor handle = w;  // e.g. what a layer keeps
  sum(w * 3.0).backward();
  ASSERT_TRUE(w.grad().defined());
  w.set_data(full({2, 2}, 5.0));  // same shape, dtype and device: the gradient stays
  EXPECT_EQ(handle.to_vector<float>(), std::vector<float>(4, 5.0f));
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_TRUE(w.grad().defined());
  w.set_data(zeros({3}, kFloat64));  // another shape: the gradient is dropped
  EXPECT_EQ(handle.shape(), (Shape{3}));
  EXPECT_EQ(handle.dtype(), kFloat64);
  EXPECT_FALSE(w.grad().defined());
  EXPECT_THROW(w.set_data(zeros({3}, kInt64)), DTypeError);
  Tensor y = w * 2.0;
  EXPECT_THROW(y.set_data(zeros({3})), AutogradError);
}

TEST(Tensor, InPlaceMulByATensorBroadcasts) {
  Tensor x = tensor({1, 2, 3, 4}, {2, 2});
  x.mul_(scalar_tensor(0.5));
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0.5f, 1, 1.5f, 2}));
  x.mul_(tensor({2, -1}, {2}));
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1, -1, 3, -2}));
  EXPECT_THROW(x.mul_(ones({3})), ShapeError);
  Tensor leaf = ones({2}).requires_grad_();
  EXPECT_THROW(leaf.mul_(ones({2})), AutogradError);
}

}  // namespace
}  // namespace aime
