/**
 * The ADM U-Net of openai/consistency_models ({@link dev.cm4j.models.unet.UNet}, configured by
 * {@link dev.cm4j.models.unet.UNet.Config} and its named presets) and its blocks: residual blocks with timestep
 * conditioning ({@link dev.cm4j.models.unet.ResBlock}), multi-head self-attention
 * ({@link dev.cm4j.models.unet.AttentionBlock}), the timestep-aware container
 * ({@link dev.cm4j.models.unet.TimestepSequential}) and the resampling layers. Parameter names follow the released
 * {@code UNetModel}, so its state dicts map one to one.
 *
 * <p><b>API</b>: public and kept compatible; exported by the module {@code dev.cm4j.models}, and open to Jackson,
 * which writes and reads {@link dev.cm4j.models.unet.UNet.Config} in image checkpoints.
 */
package dev.cm4j.models.unet;
