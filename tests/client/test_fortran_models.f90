! Models and scripts from Fortran against a real server with the Torch backend (SSDB set by
! locus_run_with_server; the test models in LOCUS_TEST_MODELS, made by tests/models/gen_models.py): the
! linear model from a file and from memory, run on a Fortran array, compared with libtorch's output; a
! script from a file, fetched back and run; errors as statuses. Exit status 1 on any failure.
program test_fortran_models
  use, intrinsic :: iso_c_binding
  use locus
  use fortran_checks
  implicit none
  type(locus_client) :: c
  integer :: i, j
  character(len=1024) :: dir
  character(len=:), allocatable :: blob, back, src
  real(c_float) :: f_in(8), f_out(6), x(2, 4), y(2, 3), a(3), b(3), s(3)
  logical :: ex, found
  type(locus_info) :: info
  character(len=256) :: ssdb
  character(len=:), allocatable :: sv

  call get_environment_variable('LOCUS_TEST_MODELS', dir)
  call check(len_trim(dir) > 0, 'LOCUS_TEST_MODELS set')
  call check(c%initialize() == LOCUS_OK, 'initialize')

  ! the stored tensor is [2,4] in C order: x(i,j) is element [i-1][j-1]
  call read_floats(trim(dir) // '/linear_in.bin', f_in)
  call read_floats(trim(dir) // '/linear_out.bin', f_out)
  do i = 1, 2
     do j = 1, 4
        x(i, j) = f_in((i - 1) * 4 + j)
     end do
  end do
  call check(c%put_tensor('fx', x) == LOCUS_OK, 'put input')

  call check(c%set_model_from_file('flin', trim(dir) // '/linear.pt', 'TORCH', 'CPU') == LOCUS_OK, &
       'set_model_from_file')
  call check(c%model_exists('flin', ex) == LOCUS_OK .and. ex, 'model exists')
  call check(c%run_model('flin', ['fx'], ['fy']) == LOCUS_OK, 'run_model')
  call get_environment_variable('SSDB', ssdb)
  call check(c%get_ai_info(trim(ssdb), 'flin', .false., info) == LOCUS_OK, 'get_ai_info')
  call info%get('', 'calls', sv, found)
  call check(found .and. sv == '1', 'get_ai_info counted the run')
  call check(c%get_ai_info(trim(ssdb), 'flin', .true., info) == LOCUS_OK, 'get_ai_info RESETSTAT')
  call check(c%get_ai_info(trim(ssdb), 'flin', .false., info) == LOCUS_OK, 'get_ai_info after reset')
  call info%get('', 'calls', sv, found)
  call check(found .and. sv == '0', 'RESETSTAT restarted the counters')
  call info%destroy()
  y = -1
  call check(c%unpack_tensor('fy', y) == LOCUS_OK, 'unpack output')
  call check(matches(y), 'output matches libtorch')

  ! from memory (the bytes fetched back), with batching options and a tag
  call check(c%get_model('flin', blob) == LOCUS_OK, 'get_model')
  src = file_bytes(trim(dir) // '/linear.pt')
  call check(blob == src, 'get_model returns the file bytes')
  call check(c%set_model('flin2', blob, 'TORCH', 'CPU', batch_size=4, min_batch_size=1, &
       min_batch_timeout=10, tag='fortran') == LOCUS_OK, 'set_model from memory')
  call check(c%run_model('flin2', ['fx      '], ['fy2     ']) == LOCUS_OK, 'run_model (padded names)')
  y = -1
  call check(c%unpack_tensor('fy2', y) == LOCUS_OK, 'unpack output 2')
  call check(matches(y), 'output 2 matches libtorch')

  ! errors come back as statuses
  call check(c%set_model('fbad', 'not a model', 'TORCH', 'CPU') == LOCUS_ERR_DATABASE, 'bad blob refused')
  call check(len(locus_last_error()) > 0, 'message for the bad blob')
  call check(c%run_model('nothing', ['fx'], ['fz']) == LOCUS_ERR_KEY, 'missing model')
  call check(c%delete_model('flin2') == LOCUS_OK, 'delete_model')
  call check(c%model_exists('flin2', ex) == LOCUS_OK .and. .not. ex, 'model gone')
  ! multi-GPU calls on a CPU-only backend: storing on GPU:0 is refused; a copy stored by hand under the name
  ! the calls use ("<name>.GPU:<n>") is the one a run picks (first_gpu + mod(offset, num_gpus))
  call check(c%set_model_from_file_multigpu('fmg', trim(dir) // '/linear.pt', 'TORCH', 0, 2) /= LOCUS_OK, &
       'set_model_from_file_multigpu refused without a GPU')
  call check(index(locus_last_error(), 'GPU:0') > 0, 'the refusal names GPU:0')
  call check(c%set_model_from_file('fmg.GPU:3', trim(dir) // '/linear.pt', 'TORCH', 'CPU') == LOCUS_OK, &
       'per-GPU copy by hand')
  call check(c%run_model_multigpu('fmg', ['fx'], ['fmgy'], 5, 2, 2) == LOCUS_OK, 'run_model_multigpu: GPU 3')
  call check(c%unpack_tensor('fmgy', y) == LOCUS_OK, 'unpack the multi-GPU output')
  call check(matches(y), 'multi-GPU output matches libtorch')
  call check(c%run_model_multigpu('fmg', ['fx'], ['fmgy'], 4, 2, 2) /= LOCUS_OK, 'GPU 2 has no copy')
  call check(c%set_model_from_file('fmg.GPU:2', trim(dir) // '/linear.pt', 'TORCH', 'CPU') == LOCUS_OK, 'copy 2')
  call check(c%set_model_from_file('fmg', trim(dir) // '/linear.pt', 'TORCH', 'CPU') == LOCUS_OK, 'general copy')
  call check(c%delete_model_multigpu('fmg', 2, 2) == LOCUS_OK, 'delete_model_multigpu')
  call check(c%model_exists('fmg.GPU:3', ex) == LOCUS_OK .and. .not. ex, 'per-GPU copy gone')
  call check(c%model_exists('fmg', ex) == LOCUS_OK .and. .not. ex, 'general copy gone')
  call check(c%run_model_multigpu('fmg', ['fx'], ['fmgy'], 0, -1, 2) == LOCUS_ERR_PARAMETER, 'first_gpu < 0')
  call check(c%delete_model('flin2') == LOCUS_ERR_KEY, 'second delete')

  ! scripts
  call check(c%set_script_from_file('fscript', 'CPU', trim(dir) // '/script.py') == LOCUS_OK, &
       'set_script_from_file')
  call check(c%get_script('fscript', back) == LOCUS_OK, 'get_script')
  call check(back == file_bytes(trim(dir) // '/script.py'), 'get_script returns the source')
  call check(c%set_script('fscript2', 'CPU', back) == LOCUS_OK, 'set_script from memory')
  a = [1.0, 2.0, 3.0]
  b = [10.0, 20.0, 30.0]
  call check(c%put_tensor('fa', a) == LOCUS_OK, 'put a')
  call check(c%put_tensor('fb', b) == LOCUS_OK, 'put b')
  call check(c%run_script('fscript2', 'sum_all', ['fa', 'fb'], ['fs']) == LOCUS_OK, 'run_script')
  s = 0
  call check(c%unpack_tensor('fs', s) == LOCUS_OK, 'unpack script output')
  call check(all(s == a + b), 'script output is a+b')
  call check(c%set_script('fbroken', 'CPU', 'def f(:') == LOCUS_ERR_DATABASE, 'broken script refused')
  call check(c%script_exists('fscript', ex) == LOCUS_OK .and. ex, 'script exists')
  call check(c%delete_script('fscript') == LOCUS_OK, 'delete_script')
  call check(c%script_exists('fscript', ex) == LOCUS_OK .and. .not. ex, 'script gone')

  call c%destroy()
  deallocate(blob, back, src)
  if (allocated(sv)) deallocate(sv)
  call report('client_fortran_models')

contains

  logical function matches(out)
    real(c_float), intent(in) :: out(2, 3)
    integer :: p, q
    matches = .true.
    do p = 1, 2
       do q = 1, 3
          if (abs(out(p, q) - f_out((p - 1) * 3 + q)) > 1e-5 * (1 + abs(f_out((p - 1) * 3 + q)))) &
               matches = .false.
       end do
    end do
  end function

  subroutine read_floats(path, v)
    character(len=*), intent(in) :: path
    real(c_float), intent(out) :: v(:)
    integer :: u
    open(newunit=u, file=path, access='stream', form='unformatted', status='old')
    read(u) v
    close(u)
  end subroutine

end program test_fortran_models
