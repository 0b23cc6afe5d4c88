import { ModelName } from '@flock/fl-core/protocol';
import { useEffect, useState } from 'react';
import { listUploadedModels, uploadModel, type UploadedModelInfo } from '../api/uploadedModelsApi.ts';
import type { FieldProps } from './formFields.tsx';
import { SelectField } from './formFields.tsx';

const describe = (m: UploadedModelInfo) =>
  `${m.name} (uploaded: ${m.inputShape.join('x')} → ${m.numClasses} classes, ${m.parameters.toLocaleString('en-US')} parameters)`;

/**
 * The federation's model: a zoo model, or one of the operator's uploaded tfjs LayersModels. A new one
 * is uploaded here (model.json and its weight files), checked against the form's dataset, and chosen.
 */
export function ModelField({ token, dataset, ...field }: Omit<FieldProps, 'label' | 'testId'> & { token: string; dataset: unknown }) {
  const [uploaded, setUploaded] = useState<UploadedModelInfo[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void listUploadedModels(token).then((r) =>
      r.ok
        ? setUploaded(r.value)
        : setNote(`Your uploaded models could not be listed (${r.reason}); the zoo models can still be chosen. Reload the page to try again.`),
    );
  }, [token]);

  const upload = async (files: readonly File[]) => {
    setBusy(true);
    const result = await uploadModel(token, files, dataset);
    setBusy(false);
    if (!result.ok) return setNote(`The upload was refused: ${result.reason}. Choose model.json with all its weight files again.`);
    setUploaded((list) => [...list, result.value]);
    setNote(`Uploaded ${result.value.name}: it is now this federation's model.`);
    field.onChange(field.path, result.value.id);
  };

  return (
    <>
      <SelectField
        {...field}
        label="Model"
        testId="form-model"
        options={[
          ...ModelName.options.map((name) => ({ value: name as string, label: `${name} (zoo)` })),
          ...uploaded.map((m) => ({ value: m.id, label: describe(m) })),
        ]}
      />
      <label className="field">
        <span>Upload a tfjs model</span>
        <input
          data-testid="form-model-upload"
          type="file"
          multiple
          accept=".json,.bin"
          disabled={busy}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length > 0) void upload(files);
          }}
        />
        <small className="muted" data-testid="form-model-upload-note">
          {note ?? 'model.json and its weight files (model.save() or tensorflowjs_converter); checked against the dataset below'}
        </small>
      </label>
    </>
  );
}
